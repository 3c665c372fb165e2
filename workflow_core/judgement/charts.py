"""The ratings as a plotly figure: each variant's people score with its bootstrap 95% interval."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from workflow_core.judgement.ratings import VariantRating


def ratings_chart(ratings: Sequence[VariantRating]) -> go.Figure:
    """People score (P(beats a random other variant)) per variant, best on top, with 95% intervals."""
    rows = sorted(ratings, key=lambda r: r.score)
    fig = go.Figure(
        go.Scatter(
            x=[r.score for r in rows],
            y=[r.variant for r in rows],
            mode="markers",
            marker={"size": 12},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r.score_high - r.score for r in rows],
                "arrayminus": [r.score - r.score_low for r in rows],
            },
            customdata=[[r.votes, r.score_low, r.score_high] for r in rows],
            hovertemplate="%{y}: %{x:.2f} [%{customdata[1]:.2f}, %{customdata[2]:.2f}]"
            " from %{customdata[0]} votes<extra></extra>",
            name="people score",
        )
    )
    fig.add_vline(x=0.5, line_dash="dot", line_color="#999")
    fig.update_layout(
        template="plotly_white",
        title="People's preference (Bradley–Terry, 95% bootstrap intervals)",
        xaxis={"title": "P(beats a random other variant)", "range": [0, 1]},
        margin={"l": 90, "r": 20, "t": 50, "b": 50},
        height=120 + 50 * len(rows),
    )
    return fig
