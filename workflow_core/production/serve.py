"""`decompose serve`: a workflow as an HTTP API (FastAPI on uvicorn).

POST /v1/pages with {"profile": {...}} or {"profile_id": "..."} answers the page as text/html (Accept:
text/html) or JSON (html, run_id, cost, quality axes). The same workflow and profile again is answered from
memory without a run (and across restarts the node cache makes it free). GET /v1/runs/{id} is a run's
report; GET /healthz says the server is up; /docs and /openapi.json describe the API.

What reaches a visitor is safe by construction: every page is sanitised (`page.safety`: no script but the
design system's, no handler, no external load, forms only to the seller's address) and every response
carries a strict Content-Security-Policy, `nosniff` and no referrer. A page whose checks find a blocking
defect is not served: the visitor gets the fallback page (`production.fallback`), the answer says
`gated: true` with the findings, the `X-Page-Source: fallback` header says so, and /healthz counts it
(`--allow-unpublishable` serves such pages anyway, for experiments).

Guards, each with a clear status: a bearer key when DECOMPOSE_SERVE_KEY is set (401), a request body limit
(413), profile validation (422; 404 for an unknown profile_id), at most `concurrency` runs at once with a
bounded wait for a slot (503 + Retry-After), a daily budget (429 + Retry-After, seconds to midnight UTC).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from workflow_core.errors import DecomposeError
from workflow_core.page.safety import PagePolicy, sanitise
from workflow_core.production.fallback import Fallback
from workflow_core.production.gate import verdict_of
from workflow_core.production.guards import Answers, Busy, DailyBudget, OverBudget, RunSlots, answer_key
from workflow_core.production.middleware import BodyGuard, SecurityHeaders
from workflow_core.production.profiles import profile_problems
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.offload import shutdown as stop_page_workers
from workflow_core.run.offload import warm_up
from workflow_core.run.report import run_report
from workflow_core.scenario import Scenario
from workflow_core.scenario.injection import flagged
from workflow_core.workflow.files import dump_workflow
from workflow_core.workflow.spec import Workflow

KEY_ENV = "DECOMPOSE_SERVE_KEY"
log = logging.getLogger("decompose.serve")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class ServeConfig:
    workflow: Workflow
    scenario: Scenario
    concurrency: int = 4
    queue_timeout_s: float = 30.0
    run_timeout_s: float = 600.0
    max_body_bytes: int = 64 * 1024
    daily_budget_usd: float | None = None
    allow_unpublishable: bool = False  # serve pages that fail their checks (experiments only)
    fallback_page: str | None = None  # the page a gated visitor gets; None: a segment page, no model
    form_action: str | None = None  # where the contact form may post, besides the seller's e-mail
    frame_ancestors: str = "'none'"  # who may frame a served page (a CSP source list)


def serve_key(raw: str | None) -> str | None:
    """The key requests must send, from DECOMPOSE_SERVE_KEY: surrounding white space (a newline from
    `echo` or a secrets file) trimmed, so it matches what clients send; refused at start when what is left
    could never be sent in a header (empty, a space or control character inside, or not ASCII)."""
    if raw is None:
        return None
    key = raw.strip()
    fix = f"set {KEY_ENV} to a long random ASCII value, e.g. `export {KEY_ENV}=$(openssl rand -hex 32)`."
    if not key:
        raise DecomposeError(f"{KEY_ENV} is set but empty; {fix}")
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise DecomposeError(
            f"{KEY_ENV} holds a character a client cannot send in an Authorization header (a space, a "
            f"control character or a non-ASCII letter), so every request would be refused; {fix}"
        )
    return key


def startup_warnings(host: str, key: str | None) -> list[str]:
    """What to shout before serving: no key on an address other machines can reach."""
    if key or host in LOOPBACK:
        return []
    return [
        f"WARNING: serving on {host} with no {KEY_ENV} set: anyone who can reach this address can spend "
        f"your model budget. Set {KEY_ENV} to a long random value and send it as 'Authorization: Bearer …'."
    ]


class PageRequest(BaseModel):
    """A visitor to make a page for: their profile, or the id of one of the scenario's profiles."""

    profile: Any = Field(
        None, description="the visitor's profile, a JSON object", examples=[{"name": "Dana"}]
    )
    profile_id: str | None = Field(None, description="the id of a profile in the served scenario")

    @model_validator(mode="after")
    def _one_of(self) -> PageRequest:
        if (self.profile is None) == (self.profile_id is None):
            raise ValueError('give exactly one of "profile" (a JSON object) or "profile_id" (a string)')
        return self


class PageAnswer(BaseModel):
    run_id: str
    status: str
    html: str | None
    cost_usd: float
    cached: bool
    qa_score: float | None
    qa_axes: dict[str, float]
    publishable: bool | None = None  # no blocking finding (quality.model.publishable)
    gated: bool = False  # the model's page failed its checks: `html` is the fallback page
    blocking: list[str] = Field(default_factory=list)  # why it failed: the blocking findings
    # Text in the profile that reads as instructions to the model: kept out of the prompts (scenario.injection).
    input_flags: list[str] = Field(default_factory=list)
    wall_s: float
    profile_id: str | None
    error: str | None = None


def _problem(status: int, message: str, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers=headers)


def create_app(config: ServeConfig, engine_factory: Callable[[], Engine]) -> FastAPI:
    """The ASGI app serving `config.workflow` on `config.scenario`. The engine is made when the app starts
    (its HTTP clients belong to the server's event loop) and closed when it stops."""
    state: dict[str, Any] = {}
    key = serve_key(os.environ.get(KEY_ENV))  # refused here, before serving, when unusable
    workflow_digest = hashlib.sha256(dump_workflow(config.workflow).encode("utf-8")).hexdigest()
    answers = Answers()
    budget = DailyBudget(config.daily_budget_usd)
    policy = PagePolicy.for_company(
        config.scenario.company.model_dump(),
        form_action=config.form_action,
        frame_ancestors=config.frame_ancestors,
    )
    fallback = Fallback(policy, config.fallback_page)
    counts = {"pages_made": 0, "pages_gated": 0}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine_factory() as engine:
            # The page workers start before the first request, not during it.
            await asyncio.to_thread(warm_up)
            state["engine"] = engine
            # Everything loaded so far lives as long as the server: out of the collector's full passes,
            # which otherwise walk it all (about a million objects) and hold every request for tens of ms.
            gc.collect()
            gc.freeze()
            state["slots"] = RunSlots(config.concurrency, config.queue_timeout_s)
            yield
        await asyncio.to_thread(stop_page_workers)

    app = FastAPI(
        title=f"Decompose Studio: {config.workflow.name}",
        description=f"Personalised landing pages from the workflow '{config.workflow.name}'.",
        lifespan=lifespan,
    )

    def request_id(request: Request) -> str | None:
        return getattr(request.state, "request_id", None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        messages = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            text = str(e.get("msg", "")).removeprefix("Value error, ")
            messages.append(f"{where}: {text}" if where else text)
        detail = "; ".join(messages) or "the request body is not valid JSON"
        return JSONResponse({"detail": detail, "request_id": request_id(request)}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = {"detail": exc.detail, "request_id": request_id(request)}
        return JSONResponse(body, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the log under the request's id; the client gets the id, never the trace.
        rid = request_id(request)
        log.error("request %s failed: %s", rid, exc, exc_info=exc)
        detail = f"the server failed on this request (a bug); its log has the details under request id {rid}."
        return JSONResponse({"detail": detail, "request_id": rid}, 500, headers=policy.headers())

    async def authorised(request: Request) -> None:
        # A coroutine: FastAPI runs a plain function dependency on a worker thread, a hop per request.
        if not key:
            return
        sent = request.headers.get("authorization", "")
        scheme, _, token = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), key.encode()):
            raise _problem(401, f"send the key from {KEY_ENV} as 'Authorization: Bearer <key>'.",
                           {"WWW-Authenticate": "Bearer"})  # fmt: skip

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        slots: RunSlots | None = state.get("slots")
        return {
            "status": "ok",
            "workflow": config.workflow.name,
            "waiting": slots.waiting if slots else 0,
            "budget_left_usd": budget.left_usd(),
            "gate": "off (--allow-unpublishable)" if config.allow_unpublishable else "on",
            "fallback": fallback.kind,
            **counts,
        }

    def profile_of(body: PageRequest) -> tuple[str, dict[str, Any], bool]:
        """(profile id, profile, whether it is one of the scenario's), or the 404/422 that says why not."""
        scenario = config.scenario
        if body.profile_id is not None:
            if body.profile_id not in scenario.profiles:
                known = ", ".join(sorted(scenario.profiles)) or "none"
                raise _problem(404, f"no profile '{body.profile_id}' in the scenario; its profiles: {known}.")
            return body.profile_id, dict(scenario.profiles[body.profile_id]), True
        problems = profile_problems(body.profile)
        if problems:
            raise _problem(422, "; ".join(problems))
        return str(body.profile.get("id") or "visitor"), body.profile, False

    def inputs_for(pid: str, profile: dict[str, Any], in_scenario: bool) -> RunInputs:
        scenario = config.scenario
        if in_scenario:
            return RunInputs.for_profile(scenario, pid)
        return RunInputs.for_profile(scenario.model_copy(update={"profiles": {pid: profile}}), pid)

    # A repeat's JSON, encoded once (the page is most of it), by run id.
    repeats: OrderedDict[str, bytes] = OrderedDict()

    def repeat_json(answer: dict[str, Any]) -> Response:
        encoded = repeats.get(answer["run_id"])
        if encoded is None:
            encoded = bytes(JSONResponse({**answer, "cached": True, "cost_usd": 0.0}).body)
            repeats[answer["run_id"]] = encoded
            while len(repeats) > answers.capacity:
                repeats.popitem(last=False)
        return Response(encoded, media_type="application/json")

    def page_response(answer: dict[str, Any], wants_html: bool, repeat: bool) -> Response:
        """The page itself when asked for and there is one, else the answer's JSON (a repeat's, from memory)."""
        if wants_html and answer["html"]:
            headers = {
                "X-Run-Id": answer["run_id"],
                "X-Page-Source": "fallback" if answer["gated"] else "model",
            }
            if answer["gated"]:
                headers["X-Page-Gated"] = (
                    f"{len(answer['blocking'])} blocking finding(s); see the JSON answer"
                )
            return HTMLResponse(answer["html"], headers=headers)
        return repeat_json(answer) if repeat else JSONResponse(answer)

    async def make_page(inputs: RunInputs) -> dict[str, Any]:
        engine: Engine = state["engine"]
        slots: RunSlots = state["slots"]
        await slots.acquire()
        try:
            plan = engine.plan(config.workflow, inputs)
            estimate = plan.estimate
            budget.reserve(estimate.cost_usd)
            cancel = asyncio.Event()
            try:
                run = await asyncio.wait_for(engine.run_plan(plan, cancel=cancel), config.run_timeout_s)
            except TimeoutError:
                budget.settle(estimate.cost_usd, 0.0)
                raise _problem(
                    504, f"the run took longer than {config.run_timeout_s:g} s and was stopped."
                ) from None
            budget.settle(estimate.cost_usd, run.total_cost_usd)
        finally:
            slots.release()
        error = next((f"{n.id}: {n.error}" for n in run.nodes if n.error), None)
        verdict = verdict_of(run)
        profile = inputs.scenario.profiles.get(inputs.profile_id or "", {}) if inputs.scenario else {}
        flags = flagged(profile, "profile")
        if flags:
            log.warning("run %s: instruction-like text in the profile, kept out of prompts: %s",
                        run.run_id, "; ".join(flags))  # fmt: skip
        gated = bool(run.status == "ok" and run.page_html and not verdict.publishable)
        gated = gated and not config.allow_unpublishable
        page = (
            fallback.for_inputs(inputs)
            if gated
            else (sanitise(run.page_html, policy) if run.page_html else None)
        )
        if run.status == "ok":
            counts["pages_made"] += 1
            counts["pages_gated"] += gated
        return PageAnswer(
            run_id=run.run_id,
            status=run.status,
            html=page,
            gated=gated,
            blocking=verdict.findings,
            input_flags=flags,
            cost_usd=run.total_cost_usd,
            cached=False,
            qa_score=run.qa_score,
            qa_axes=dict(run.qa_axes),
            publishable=run.qa_publishable,
            wall_s=run.wall_s,
            profile_id=inputs.profile_id,
            error=None if run.status == "ok" else error,
        ).model_dump()

    @app.post(
        "/v1/pages",
        response_model=PageAnswer,
        responses={200: {"content": {"text/html": {}}, "description": "the page, or its JSON by Accept"}},
        dependencies=[Depends(authorised)],
    )
    async def pages(body: PageRequest, request: Request) -> Response:
        """Make (or serve again) the page for one visitor. `Accept: text/html` answers the page itself."""
        pid, profile, in_scenario = profile_of(body)
        key = answer_key(workflow_digest, profile)
        wants_html = "text/html" in request.headers.get("accept", "")
        done = answers.get(key)
        if done is not None:  # a repeat: answered from memory, nothing else to build
            return page_response(done, wants_html, repeat=True)
        try:
            answer, known = await answers.get_or_make(
                key, lambda: make_page(inputs_for(pid, profile, in_scenario))
            )
        except OverBudget as exc:
            raise _problem(429, str(exc), {"Retry-After": str(exc.retry_after_s)}) from None
        except Busy as exc:
            raise _problem(503, str(exc), {"Retry-After": "1"}) from None
        except DecomposeError as exc:
            raise _problem(422, str(exc)) from None
        if answer["status"] != "ok":
            # Which provider, model or URL failed, and what it said, is the operator's: the log has it.
            rid = request_id(request)
            log.warning("request %s: run %s %s: %s", rid, answer["run_id"], answer["status"], answer["error"])
            detail = (
                f"the page could not be made (the run {answer['status']}: a model provider failed or was "
                f"cut off); retry later. The server log has the details under request id {rid}."
            )
            public = {
                "detail": detail,
                "request_id": rid,
                "run_id": answer["run_id"],
                "status": answer["status"],
            }
            return JSONResponse(public, 502)
        if not known:  # (known: it waited on the same visitor's run in flight)
            repeat_json(answer)  # encoded now, while a run's time hides it, so that repeats only send it
        return page_response(answer, wants_html, repeat=known)

    @app.get("/v1/runs/{run_id}", dependencies=[Depends(authorised)])
    async def runs(run_id: str) -> dict[str, Any]:
        """A run's report: status, cost, quality and every node's tokens, cost and timing."""
        store = state["engine"].store
        run = await asyncio.to_thread(store.get_run, run_id) if store is not None else None
        if run is None:
            raise _problem(404, f"no run '{run_id}' in this server's store.")
        return run_report(run)

    app.add_middleware(BodyGuard, limit=config.max_body_bytes)
    docs = {k: v for k, v in policy.headers().items() if k != "Content-Security-Policy"}
    app.add_middleware(SecurityHeaders, headers=policy.headers(), docs_headers=docs)
    return app
