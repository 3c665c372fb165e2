"""The node contract: what a node kind's executor is given (`NodeContext`) and what it hands back (`Prepared`).

It lives beside the kind registry (`workflow.kinds`), which stores executors by this contract, so that the
registry never reaches up into the engine. The engine (`run.context.EngineContext`) implements the protocol;
node kinds (`workflow_core.nodes`) and toy kinds in tests are written against it alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from workflow_core.pricing.book import PriceBook
    from workflow_core.providers.base import ChatRequest, ChatResult
    from workflow_core.providers.registry import ProviderRegistry
    from workflow_core.records import NodeRecord
    from workflow_core.workflow.spec import Node, Workflow

T = TypeVar("T")


class RunInputsView(Protocol):
    """The run's inputs as a node reads them: the prompt variables by name, the visitor's profile, and the
    scenario for kinds that read more than a prompt variable (retrieval reads its documents; such a kind
    checks the scenario's type itself, as the workflow layer does not know the scenario package)."""

    @property
    def variables(self) -> Mapping[str, Any]: ...

    @property
    def scenario(self) -> Any: ...

    @property
    def profile_id(self) -> str | None: ...

    @property
    def profile(self) -> dict[str, Any]: ...

    def get(self, name: str, default: Any = None) -> Any: ...


class NodeContext(Protocol):
    """What a node executor sees: its node and workflow, the run's inputs, its ancestors' records (in
    topological order) and the services it may call. Every model call goes through `chat` or
    `with_retries`, so it is priced, rate-limited by the provider's slot, timed out and retried alike."""

    @property
    def node(self) -> Node: ...

    @property
    def workflow(self) -> Workflow: ...

    @property
    def inputs(self) -> RunInputsView: ...

    @property
    def upstream(self) -> dict[str, NodeRecord]: ...

    @property
    def registry(self) -> ProviderRegistry: ...

    @property
    def prices(self) -> PriceBook: ...

    def variables(self) -> dict[str, Any]:
        """Template variables: run inputs, then every upstream node's output by id."""
        ...

    def parent_records(self) -> list[NodeRecord]:
        """The records of the node's direct parents that ran."""
        ...

    async def with_retries(self, ref: str, call: Callable[[], Awaitable[T]], record: NodeRecord) -> T:
        """Await `call()` in the provider's slot, under the node's timeout and retries."""
        ...

    async def chat(self, ref: str, request: ChatRequest, record: NodeRecord) -> ChatResult:
        """A priced chat call whose tokens stream as events and whose usage and cost go on `record`."""
        ...


@dataclass
class Prepared:
    """What a node executor decided before doing any work: the cache key material and how to do the work."""

    key_material: dict[str, Any]
    work: Callable[[NodeContext, NodeRecord], Awaitable[None]]
    messages: list[dict[str, str]] = field(default_factory=list)
    cacheable: bool = True


Executor = Callable[[NodeContext], Awaitable[Prepared]]
