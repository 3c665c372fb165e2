"""Wants: how much of what this visitor said they want the page speaks to.

The visitor's wants are the content words of their profile's goals, interests, needs, challenges, priorities
and recent activity, less those that only name them (`scenario.offer_fit.want_words`, stemmed). The score is
the share of those words the page's copy uses (outside the title, navigation, forms and footer), full marks
at `ENOUGH` of them: a page cannot say back every word of a profile, and should not (a run of eight of them is
a recital, `personalisation.recital`). One finding says how many it uses and names some it does not; it fails,
without blocking, under half of `ENOUGH`.

Why it is an axis, with weight 2: on the preference set's pages (tests/quality_cases/preference), blind raters
ranked pages by whether they offered what the visitor asked for before any single defect, and nothing the
checks measured followed them (the personalisation axis's correlation with the raters' scores of a visitor's
pages was about 0 on the splits made after its rules; this share was 0.2 to 0.4 on every one of them).
`ENOUGH` and the weight were chosen on the tuned splits only (tune, holdout2 to holdout5; agreement was flat
for `ENOUGH` 0.5 to 1.0 and weights 2 to 8) and first measured on holdout6, where the gain did not carry (the
verdict agreed on 23/50 pairs with it, 25/50 without; docs/quality.md): it stays for what its finding tells a
user, not as evidence that the score follows people.

Shaped by the same words: the agents see the segment's offerings ordered by these want words
(`scenario.offer_fit`), so a page that names the first offering scores partly for that ordering."""

from __future__ import annotations

from typing import Any

from workflow_core.page.words import content_words, light_stem
from workflow_core.quality.model import AxisResult
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import PageText, copy_blocks, finding
from workflow_core.scenario.offer_fit import want_words, wants_of

AXIS = "wants"
ENOUGH = 0.5  # the share of the visitor's want words that earns full marks
SHOWN = 8  # want words the page does not use, named in the finding


def check_wants(page: PageText, sources: Sources) -> AxisResult | None:
    """The share of the visitor's want words the page's copy uses (see the module docstring); None when the
    profile says nothing they want."""
    wants = want_words(sources.profile)
    if not wants:
        return None
    on_page = {light_stem(w) for b in copy_blocks(page) for w in content_words(b.text)}
    used = wants & on_page
    share = len(used) / len(wants)
    score = min(1.0, share / ENOUGH)
    missing = _in_profile_order(wants - used, sources.profile)[:SHOWN]
    # Their first name; "the visitor" whole when the profile has none ("the" alone reads as a typo).
    name = (str((sources.profile or {}).get("name") or "").split() or ["the visitor"])[0]
    message = (
        f"The page uses {len(used)} of the {len(wants)} words of what {name} said they want "
        f"(goals, interests, needs, recent activity)"
        + (f"; not: {', '.join(missing)}" if missing else "")
        + (". Say how the offer meets what they asked for, in their words." if score < 0.5 else ".")
    )
    return AxisResult(
        axis=AXIS,
        score=round(score, 4),
        findings=[finding(AXIS, "wants", score >= 0.5, message)],
        measures={"wants.share": round(share, 4), "wants.words": len(wants)},
    )


def _in_profile_order(stems: set[str], profile: dict[str, Any] | None) -> list[str]:
    """The words of `stems` as the profile spells them, in the order it says what the visitor wants."""
    out: list[str] = []
    seen: set[str] = set()
    for sentence in wants_of(profile):
        for word in content_words(sentence):
            stem = light_stem(word)
            if stem in stems and stem not in seen:
                seen.add(stem)
                out.append(word.lower())
    return out
