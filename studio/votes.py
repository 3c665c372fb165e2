"""The Compare page's People tab: blind pairwise votes on an experiment's pages (buttons and keyboard
shortcuts), the Bradley–Terry ratings they give, the "people" quality axis they add to the lab, and an LLM
judge's agreement with people. The logic is in `workflow_core.judgement`; this module lays it out."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from studio import lab, services, ui
from workflow_core.errors import DecomposeError
from workflow_core.judgement.agreement import agreement, judges
from workflow_core.judgement.axis import MIN_VOTES_PER_VARIANT, enough_votes, with_people_axis
from workflow_core.judgement.charts import ratings_chart
from workflow_core.judgement.judge import JudgeRun, judge_pairs
from workflow_core.judgement.pairs import Matchup, comparable_pairs, next_matchup
from workflow_core.judgement.ratings import VariantRating, rate
from workflow_core.judgement.transfer import votes_csv
from workflow_core.judgement.votes import Vote, load_votes, save_votes
from workflow_core.lab.experiment import Experiment
from workflow_core.page.site import sandboxed_preview
from workflow_core.scenario.prose import profile_to_prose

# (page width, page height, frame height). A desktop page is laid out at 1280 px and scaled into its column
# (about 360 px wide on a 1280 px screen, a scale near 0.29), so 1600 px of it fill a 470 px frame.
WIDTHS = {"Desktop": (1280, 1600, 470), "Mobile": (390, 720, 700)}
# Below this window width (a phone) a page is laid out at its frame's width instead, unscaled and readable.
PHONE_BELOW = 641
# Side by side on a wide screen; below 1100 px (where the sidebar leaves each column too narrow) one page above
# the other, each the full width, with the four vote buttons two by two. On a phone the frames are taller, the
# pages being read at their own size, and the name and width controls take a line each (the width's "Mobile"
# was cut off beside the name).
_LAYOUT_CSS = (
    "<style>@media (max-width:1100px){.st-key-vote_panes [data-testid='stHorizontalBlock']"
    "{flex-wrap:wrap}.st-key-vote_panes [data-testid='stColumn']{min-width:100%!important;"
    "flex:1 1 100%!important}.st-key-vote_buttons [data-testid='stColumn']{flex:1 1 40%!important}}"
    "@media (max-width:640px){.st-key-vote_panes [data-testid='stElementContainer']:has(>iframe),"
    ".st-key-vote_panes iframe{height:600px!important}"
    ".st-key-vote_head [data-testid='stColumn']{min-width:100%!important;flex:1 1 100%!important}}</style>"
)
# winner: (label, icon, shortcut). Not the arrow keys: while the tab bar has focus they switch tabs.
CHOICES = {
    "left": ("Left better", ":material/arrow_back:", "1"),
    "right": ("Right better", ":material/arrow_forward:", "2"),
    "tie": ("Tie", ":material/drag_handle:", "T"),
    "skip": ("Skip", ":material/skip_next:", "S"),
}


# ---------------------------------------------------------------- ratings and the people axis


def _people_votes(experiment_id: str) -> list[Vote]:
    return load_votes(services.store(), experiment_id, people_only=True)


def ratings(view: lab.LabView, votes: Sequence[Vote]) -> list[VariantRating]:
    """The experiment's ratings from these votes, computed once per set of votes."""
    signature = (len(votes), votes[-1].vote_id if votes else "")
    variants = [v.name for v in view.experiment.spec.variants]
    return view.cached(("ratings", signature), lambda: rate(votes, variants))


def rated_view(view: lab.LabView) -> lab.LabView:
    """The view the lab analyses: `view` itself, or once every variant is in enough people's votes, a view of
    the experiment whose runs carry the people axis (see `workflow_core.judgement.axis`)."""
    votes = _people_votes(view.experiment.experiment_id)
    rated = ratings(view, votes)
    if not enough_votes(rated):
        return view
    signature = (len(votes), votes[-1].vote_id)
    return view.cached(
        ("people_view", signature), lambda: lab.LabView(experiment=with_people_axis(view.experiment, rated))
    )


def people_note(view: lab.LabView) -> None:
    """Under the lab's results: whether their QA includes the people axis."""
    runs = [t.run for t in view.experiment.trials if t.run is not None]
    if any("people" in r.qa_axes for r in runs):
        st.caption(
            "QA includes the **people** axis: each variant's Bradley–Terry score from people's blind votes "
            "(People tab), weighted with the automatic axes."
        )


def rating_rows(rated: Sequence[VariantRating]) -> list[dict[str, Any]]:
    rows = []
    for r in sorted(rated, key=lambda r: -r.score):
        rows.append(
            {
                "variant": r.variant,
                "people score": f"{r.score:.2f}",
                "95% interval": f"{r.score_low:.2f} – {r.score_high:.2f}" if r.votes else "–",
                "strength": f"{r.strength:+.2f}",
                "win rate": "–" if r.win_rate is None else f"{r.win_rate:.0%}",
                "votes": r.votes,
                "won / lost / tied": f"{r.wins} / {r.losses} / {r.ties}",
            }
        )
    return rows


# ---------------------------------------------------------------- voting


def _profile_summary(experiment: Experiment, profile: str | None) -> str:
    """The profile as prose, from the experiment's scenario when it can be read, else the active one."""
    if profile is None:
        return "No profile: these pages were made without a visitor."
    for root in (experiment.scenario, str(services.scenario_path())):
        if root and Path(root).is_dir():
            try:
                found = services.scenario(root).profiles.get(profile)
            except DecomposeError:
                continue
            if found is not None:
                return profile_to_prose(found)
    return f"Profile '{profile}' (its scenario is not on this machine)."


def _state_key(experiment_id: str) -> str:
    return f"vote_matchup_{experiment_id}"


def _rng() -> random.Random:
    rng: random.Random = st.session_state.setdefault("vote_rng", random.Random())
    return rng


def _advance(experiment: Experiment, last_pair: tuple[str, str] | None) -> None:
    votes = _people_votes(experiment.experiment_id)
    st.session_state[_state_key(experiment.experiment_id)] = next_matchup(
        experiment, votes, _rng(), last_pair
    )


def _cast(experiment: Experiment, matchup: Matchup, winner: str) -> None:
    """Button callback: store the vote (unless skipped), reveal what was shown, and pick the next pair."""
    if winner != "skip":
        try:
            save_votes(services.store(), [matchup.vote(winner, st.session_state.get("vote_voter", ""))])
        except DecomposeError as exc:
            st.session_state["vote_error"] = exc
            return
    sides = f"left was **{matchup.left.variant}**, right was **{matchup.right.variant}**"
    done = "Skipped" if winner == "skip" else f"Voted {CHOICES[winner][0].lower()}"
    st.session_state["vote_revealed"] = f"{done}: {sides}."
    _advance(experiment, matchup.pair)


@st.fragment
def voting(view: lab.LabView) -> None:
    """Two pages for one visitor, blind, with the vote buttons; then the ratings. A fragment: a vote reruns
    this panel only, not the whole lab."""
    experiment = view.experiment
    key = _state_key(experiment.experiment_id)
    if key not in st.session_state:
        _advance(experiment, None)
    matchup: Matchup | None = st.session_state[key]
    if matchup is None:
        st.info(
            "No two variants made a page for the same profile, so there is nothing to compare blind.",
            icon=":material/info:",
        )
        return
    error = st.session_state.pop("vote_error", None)
    if isinstance(error, DecomposeError):
        ui.show_error(error, "The vote could not be saved")
    revealed = st.session_state.pop("vote_revealed", None)
    if revealed:
        st.caption(revealed)
    width, height, frame = WIDTHS[st.session_state.get("vote_width") or "Desktop"]
    with st.container(border=True, key="vote_profile"):
        st.markdown(f"**The visitor** · `{matchup.profile or '–'}`")
        st.caption(_profile_summary(experiment, matchup.profile))
    with st.container(key="vote_panes"):
        panes = st.columns(2)
    for pane, side, page in zip(panes, ("Left", "Right"), (matchup.left, matchup.right), strict=True):
        with pane, st.container(border=True, key=f"vote_pane_{side.lower()}"):
            st.markdown(f"**{side}** · press {CHOICES[side.lower()][2]} if it is better")
            preview = sandboxed_preview(page.html, width, height, phone_below=PHONE_BELOW)
            st.iframe(preview, height=frame, alt=f"{side} page")
    with st.container(key="vote_buttons"):
        buttons = st.columns(4)
    for col, (winner, (label, icon, shortcut)) in zip(buttons, CHOICES.items(), strict=True):
        col.button(
            label,
            key=f"vote_{winner}",
            icon=icon,
            shortcut=shortcut,
            type="primary" if winner in ("left", "right") else "secondary",
            width="stretch",
            on_click=_cast,
            args=(experiment, matchup, winner),
        )
    st.caption(
        "Keys: 1 left, 2 right, T tie, S skip. The pages come from two different variants for the same "
        "visitor, sides at random; the names show after you vote."
    )
    _ratings(view)


def _ratings(view: lab.LabView) -> None:
    votes = _people_votes(view.experiment.experiment_id)
    rated = ratings(view, votes)
    st.markdown(f"#### Ratings from {len(votes)} vote(s)")
    if not votes:
        st.caption("Vote on a few pairs and each variant's rating appears here.")
        return
    with st.container(key="vote_ratings"):
        st.table(rating_rows(rated), hide_index=True, border="horizontal")
    st.caption(
        "People score: the Bradley–Terry chance of beating a random other variant (0.5 = even), with its "
        "bootstrap 95% interval; strength is the log-strength (0 = average); win rate counts a tie as half."
    )
    fewest = min((r.votes for r in rated), default=0)
    if enough_votes(rated):
        st.caption(
            "The **people** axis is part of the lab's quality now (Results, Pareto front, report): reopen the "
            "Results tab to see it."
        )
    else:
        st.caption(
            f"The **people** axis joins the lab's quality once every variant is in ≥ {MIN_VOTES_PER_VARIANT} "
            f"votes (the fewest now: {fewest})."
        )
    st.plotly_chart(ratings_chart(rated), width="stretch", key="vote_ratings_chart")


# ---------------------------------------------------------------- the judge


def _run_judge(experiment: Experiment, judge: str) -> JudgeRun:
    engine = services.engine()
    profiles = {t.profile for t in experiment.trials if t.profile}  # spec.profiles is empty for "all"
    summaries = {p: _profile_summary(experiment, p) for p in profiles}
    progress = st.progress(0.0, text="Judging…")

    def on_progress(done: int, total: int) -> None:
        progress.progress(done / max(total, 1), text=f"Judged {done}/{total} (both orders of every pair)")

    async def go() -> JudgeRun:
        async with engine.registry:
            return await judge_pairs(
                experiment,
                judge,
                engine.registry,
                engine.prices,
                services.store(),
                summaries,
                on_progress=on_progress,
            )

    try:
        return asyncio.run(go())
    finally:
        progress.empty()


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def judge_section(view: lab.LabView) -> None:
    """Run an LLM judge over every pair (both orders) and show how it agrees with people and with itself."""
    experiment = view.experiment
    st.markdown("#### An LLM judge, pairwise")
    st.caption(
        "The judge reads the visitor and both pages' text and picks one, then again with the sides swapped. "
        "Its verdicts are kept apart from people's votes; what it costs is not part of the variants' costs."
    )
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        judge = st.selectbox(
            "Judge model", services.model_refs(), key="vote_judge_model", accept_new_options=True
        )
    with right:
        pairs = len(comparable_pairs(experiment))
        go = st.button(
            "Judge all pairs",
            key="vote_judge_run",
            icon=":material/gavel:",
            width="stretch",
            disabled=not judge or not pairs,
        )
    if go and judge:
        try:
            run = _run_judge(experiment, judge)
        except DecomposeError as exc:
            ui.show_error(exc, "The judge could not run")
        else:
            st.success(
                f"{run.comparisons} comparison(s), {run.cached} from the cache, {run.skipped} judged before; "
                f"judge cost {ui.money(run.cost_usd)} now.",
                icon=":material/gavel:",
            )
            for problem in [*run.warnings, *run.errors][:5]:
                st.warning(problem, icon=":material/warning:")
    all_votes = load_votes(services.store(), experiment.experiment_id)
    rows = []
    for name in judges(all_votes):
        a = agreement(all_votes, name)
        rows.append(
            {
                "judge": name,
                "position consistency": _percent(a.position_consistency),
                "pairs in both orders": a.pairs_both_orders,
                "agreement with people": _percent(a.agreement),
                "people's votes compared": a.compared,
                "agreement (both picked a side)": _percent(a.decisive_agreement),
                "judge cost": ui.money(sum(v.cost_usd for v in all_votes if v.judge == name)),
            }
        )
    if rows:
        with st.container(key="vote_agreement"):
            st.table(rows, hide_index=True, border="horizontal")
    else:
        st.caption("No judge has compared this experiment's pages yet.")
    if all_votes:
        st.download_button(
            "votes.csv",
            votes_csv(all_votes),
            file_name=f"votes-{experiment.experiment_id}.csv",
            mime="text/csv",
            icon=":material/download:",
            key="vote_export",
            on_click="ignore",
            help="Merge on another machine with `decompose votes import FILE.csv`",
        )


def panel(view: lab.LabView) -> None:
    """The People tab."""
    st.markdown(
        "Which page would serve this visitor better? Judge blind: pairs come from variants with the fewest "
        "votes first, never the same pair twice in a row."
    )
    st.html(_LAYOUT_CSS)
    with st.container(key="vote_head"):
        c1, c2 = st.columns([3, 2])
    c1.text_input("Your name (optional)", key="vote_voter", max_chars=60, placeholder="kept with your votes")
    with c2:
        st.segmented_control("Width", list(WIDTHS), default="Desktop", key="vote_width")
    voting(view)
    st.divider()
    judge_section(view)
