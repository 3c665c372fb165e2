"""A blind pairwise vote: two pages made for one profile by two variants, shown left and right, and which one
the voter preferred (or a tie). People vote in the Compare page; an LLM judge votes through `judge.py` (its
votes name the judge's model and are never counted as people's)."""

from __future__ import annotations

import hashlib
import time
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from workflow_core.errors import DecomposeError
from workflow_core.run.store import Store

Winner = Literal["left", "right", "tie"]
MAX_VOTER = 60


class VoteError(DecomposeError):
    """A vote that cannot be stored or read: the message says which field is wrong and what it must be."""


class Vote(BaseModel):
    """One vote. `vote_id` is a hash of the content (see `content_id`), so the same vote imported twice, or
    merged from two machines, is stored once."""

    experiment_id: str = Field(min_length=1)
    profile: str | None = None
    left_variant: str = Field(min_length=1)
    right_variant: str = Field(min_length=1)
    left_run: str = Field(min_length=1)
    right_run: str = Field(min_length=1)
    winner: Winner
    voter: str = Field("", max_length=MAX_VOTER)
    judge: str | None = None  # the judge's model ref; None for a person
    cost_usd: float = 0.0  # what the judge's call cost (0 for a person)
    created_at: float = Field(default_factory=time.time)
    vote_id: str = ""

    @field_validator("voter")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _check(self) -> Vote:
        if self.left_variant == self.right_variant:
            raise ValueError(f"a vote compares two variants, but both sides are '{self.left_variant}'")
        if not self.vote_id:
            self.vote_id = self.content_id()
        return self

    def content_id(self) -> str:
        """A person's vote is one act (its time counts); a judge's verdict on two runs in one order is one
        verdict, however often it is imported."""
        when = f"{self.created_at:.6f}" if self.judge is None else ""
        material = "\x1f".join(
            str(x)
            for x in (
                self.experiment_id,
                self.profile,
                self.left_run,
                self.right_run,
                self.winner,
                self.voter,
                self.judge,
                when,
            )
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()[:20]

    @property
    def pair(self) -> tuple[str, str]:
        """The two variants, in a fixed order (whichever side they were shown on)."""
        a, b = sorted((self.left_variant, self.right_variant))
        return a, b

    @property
    def winning_variant(self) -> str | None:
        """The variant preferred, None for a tie."""
        return {"left": self.left_variant, "right": self.right_variant}.get(self.winner)

    @property
    def by_person(self) -> bool:
        return self.judge is None


def save_votes(store: Store, votes: list[Vote]) -> int:
    """Store votes, skipping those already stored (same vote_id). Returns how many were new."""
    return store.add_votes([v.model_dump() for v in votes]) if votes else 0


def load_votes(store: Store, experiment_id: str | None = None, *, people_only: bool = False) -> list[Vote]:
    """The votes of an experiment (or all), oldest first; `people_only` leaves out the judges' votes."""
    votes = [Vote.model_validate(row) for row in store.list_votes(experiment_id)]
    return [v for v in votes if v.by_person] if people_only else votes
