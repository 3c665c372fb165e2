"""The "people" quality axis: once every variant of an experiment has been in enough people's votes, each
run's quality gains the axis `people` (its variant's Bradley–Terry score) and its QA score is recomputed as
the page score of its axes under the weights its verdict was scored with (`quality.model.with_axis`; people
weighs its default weight, `quality.axes`).
The lab's tables, Pareto front and report then read it like any other axis; nothing in the lab changes."""

from __future__ import annotations

from collections.abc import Sequence

from workflow_core.judgement.ratings import VariantRating
from workflow_core.lab.experiment import Experiment
from workflow_core.quality.model import with_axis
from workflow_core.records import AxisResult, QualityReport

MIN_VOTES_PER_VARIANT = 5  # fewer, and one vote moves a variant's score by more than the axes it joins


def enough_votes(ratings: Sequence[VariantRating], min_votes: int = MIN_VOTES_PER_VARIANT) -> bool:
    """Whether every rated variant has been in at least `min_votes` votes (and there are two to compare)."""
    return len(ratings) >= 2 and all(r.votes >= min_votes for r in ratings)


def with_people_axis(
    experiment: Experiment, ratings: Sequence[VariantRating], min_votes: int = MIN_VOTES_PER_VARIANT
) -> Experiment:
    """A copy of `experiment` whose runs carry the people axis, or `experiment` itself while there are not
    enough votes (see `enough_votes`)."""
    if not enough_votes(ratings, min_votes):
        return experiment
    by_variant = {r.variant: r.score for r in ratings}
    copy = experiment.model_copy(deep=True)
    for trial in copy.trials:
        run = trial.run
        if run is None or trial.variant not in by_variant:
            continue
        people = AxisResult(axis="people", score=round(by_variant[trial.variant], 4))
        run.qa = with_axis(run.qa or QualityReport(score=people.score), people)  # unchecked: people alone
    return copy
