"""The Compare page's What-if and TCO tabs. Their inputs select the analysis every tab shows, so each tab is
drawn in two steps: its inputs first (a `WhatIfTab(view)` / `TcoTab()` reads them), then, once the analysis
they select is computed, its results under them (`show`), in a container kept for that."""

from __future__ import annotations

import streamlit as st

from studio import compare_tabs, lab, ui
from workflow_core.errors import DecomposeError
from workflow_core.lab.analysis import ExperimentAnalysis
from workflow_core.lab.tco import TcoInputs


class WhatIfTab:
    """Re-pricing the measured runs on other models: a model for every node (`*`) and some per node."""

    def __init__(self, view: lab.LabView) -> None:
        st.markdown(
            "Re-price the measured runs on other models: the token counts stay as measured, the prices change. "
            "Pick a model for every node (`*`) and, if you like, a different one for some nodes."
        )
        choices = lab.whatif_choices()
        w1, w2 = st.columns([2, 3])
        with w1:
            star = st.selectbox(
                "Every model-backed node (*)",
                choices,
                key="lab_whatif_all",
                accept_new_options=True,
                format_func=lambda r: r or "(as measured)",
            )
        node_ids = lab.model_nodes(view)
        with w2, st.expander(f"Per node ({len(node_ids)})"):
            picks = {}
            node_cols = st.columns(2)
            for i, node_id in enumerate(node_ids):
                with node_cols[i % 2]:
                    picks[node_id] = st.selectbox(
                        node_id,
                        choices,
                        key=f"lab_whatif_node_{node_id}",
                        accept_new_options=True,
                        format_func=lambda r: r or "(as *)",
                    )
        self.model_map: dict[str, str] = {k: v for k, v in {"*": star, **picks}.items() if v}
        self.error: DecomposeError | None = None
        self.results = st.container()

    def analysis(self, view: lab.LabView, inputs: TcoInputs) -> ExperimentAnalysis:
        """The analysis under this map and the TCO `inputs`. A map that cannot be priced is kept to show on
        this tab, and the analysis (every other tab, the exports) stays on measured costs."""
        try:
            return lab.analysis(view, self.model_map, inputs)
        except DecomposeError as exc:
            self.error, self.model_map = exc, {}
            return lab.analysis(view, self.model_map, inputs)

    def show(self, view: lab.LabView, analysis: ExperimentAnalysis) -> None:
        with self.results:
            whatif = analysis.whatif
            if self.error is not None:
                ui.show_error(self.error, "The what-if cannot be priced")
                return
            if whatif is None:
                st.info(
                    "Pick a model above to see what these runs would cost on it.",
                    icon=":material/price_change:",
                )
                return
            if whatif.estimate:
                st.warning(
                    "**Estimate**: tokens measured on another model. A different model would have written a "
                    "different number of tokens.",
                    icon=":material/info:",
                )
            if whatif.unpriced:
                st.error(
                    f"No price is known for {', '.join(whatif.unpriced)}: counted as $0. Add a price on the "
                    "Settings page.",
                    icon=":material/error:",
                )
            with st.container(border=True):
                st.markdown(f"#### {whatif.headline}")
            with st.container(key="lab_whatif_table"):
                st.table(
                    lab.repriced_rows(analysis.measured.summaries, whatif.summaries),
                    hide_index=True,
                    border="horizontal",
                )
            compare_tabs.charts(view, analysis, "whatif")


class TcoTab:
    """Total cost of ownership: engineering once per agent, then each request at its variant's priced cost."""

    def __init__(self) -> None:
        self.intro = st.empty()  # names the priced costs, known once the analysis is
        t = st.columns(4)
        with t[0]:
            engineering = st.number_input(
                "Engineering per agent (USD)",
                min_value=0.0,
                value=2000.0,
                step=500.0,
                format="%.0f",
                key="lab_tco_eng",
            )
        with t[1]:
            requests = st.number_input(
                "Requests per month",
                min_value=0.0,
                value=10_000.0,
                step=1000.0,
                format="%.0f",
                key="lab_tco_req",
            )
        with t[2]:
            growth = st.number_input(
                "Monthly growth (%)",
                min_value=-50.0,
                max_value=200.0,
                value=0.0,
                step=5.0,
                format="%.1f",
                key="lab_tco_growth",
            )
        with t[3]:
            months = int(
                st.number_input("Months", min_value=1, max_value=120, value=24, step=6, key="lab_tco_months")
            )
        self.inputs = TcoInputs(
            engineering_cost_per_agent=float(engineering),
            requests_per_month=float(requests),
            monthly_growth=float(growth) / 100,
            months=months,
        )
        self.results = st.container()

    def show(self, view: lab.LabView, analysis: ExperimentAnalysis) -> None:
        self.intro.markdown(
            f"Each agent costs engineering once; then every request costs its variant's {analysis.priced.label}. "
            "When does decomposing pay for itself?"
        )
        with self.results:
            result = analysis.tco
            if result is None:
                st.info("No variant finished a run: there is nothing to cost.")
                return
            if analysis.disturbance_note:
                st.warning(analysis.disturbance_note, icon=":material/speed:")
            for note in analysis.training_notes:
                st.caption(f"Specialised models, counted once up front: {note}")
            st.table(lab.monthly_rows(result), hide_index=True, border="horizontal")
            if result.break_evens:
                st.markdown(f"**Break-even against {result.baseline}**")
                st.table(lab.break_even_rows(result), hide_index=True, border="horizontal")
            else:
                st.caption("Only one variant: nothing to break even against.")
            compare_tabs.charts(view, analysis, "tco")
