"""What a run reads besides its workflow: the prompt variables, and the scenario and profile they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow_core.scenario import Scenario, scenario_inputs


@dataclass(frozen=True)
class RunInputs:
    """The run's inputs. `variables` are what prompts may name (`{{ profile }}`, `{{ company }}`, ...; see
    `workflow_core.scenario.INPUT_NAMES`); `scenario` is there for node kinds that read more than a prompt
    variable (retrieval reads its documents)."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = None
    profile_id: str | None = None

    @classmethod
    def for_profile(cls, scenario: Scenario, profile_id: str | None) -> RunInputs:
        """The inputs for one profile of a scenario (None: the scenario's inputs with no visitor)."""
        return cls(scenario_inputs(scenario, profile_id), scenario, profile_id)

    def get(self, name: str, default: Any = None) -> Any:
        return self.variables.get(name, default)

    @property
    def profile(self) -> dict[str, Any]:
        """The visitor's profile, or an empty one."""
        value = self.variables.get("profile")
        return value if isinstance(value, dict) else {}
