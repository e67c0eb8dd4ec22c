"""Where each operation's CPU goes: py-spy's stacks from `bench.cpu_cost --profile DIR`, turned
into ms of CPU per request for every step (auth, request validation, SQL, ORM, serialisation,
outbox, each consumer's per-event work, …) and the functions of our own code that cost the most.

    .venv/bin/python -m bench.cpu_cost --profile /tmp/profile --rate 20 --seconds 25 \\
        --ops dashboard_company,dashboard_team,check_in,chat,edit
    .venv/bin/python -m bench.profile_report /tmp/profile > /tmp/profile/report.md

The samples say how a process's CPU divides (py-spy leaves idle threads out); the ms come from
the CPU time the same run measured for that process and operation (DIR/cpu_cost.json), so the
shares of one service add up to its ms per request. nginx, NATS and MariaDB are not Python:
their CPU per request is given whole, from the same run."""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

# A sample is one stack, outermost frame first. The first rule whose pattern is in ANY frame of
# the stack names the step: these are subsystems, and everything below them is their cost (the
# SQL an outbox insert runs is the outbox's). Order matters: the specific before the general.
STEP_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("auth: token verification", ("boost_platform/auth.py", "/jwt/", "get_principal (")),
    ("outbox: insert + publish", ("boost_bus/outbox.py",)),
    ("consumer: inbox claim (dedupe)", ("boost_bus/inbox.py",)),
    ("response: model validation + JSON", ("serialize_response (", "jsonable_encoder (", "boost_platform/responses.py",
                                           "JSONResponse.render (", "_prepare_response_content (")),
    ("request: parsing + validation", ("request_body_to_args (", "Request.json (", "Request.body (",
                                       "_validate_value_with_model_field (")),
    # asyncmy is compiled: its time shows in SQLAlchemy's adapter that calls it.
    ("SQL: driver (asyncmy send, receive, parse rows)", ("/asyncmy/", "/pymysql/", "sqlalchemy/connectors/asyncio.py",
                                                         "sqlalchemy/dialects/mysql/asyncmy.py")),
    ("SQL: statement cache keys + compile", ("_generate_cache_key (", "_compile_w_cache (",
                                             "sqlalchemy/sql/compiler.py", "sqlalchemy/sql/cache_key.py")),
    ("SQL: ORM flush (unit of work)", ("Session.flush (", "Session._flush (", "sqlalchemy/orm/unitofwork.py",
                                       "sqlalchemy/orm/persistence.py")),
    ("SQL: ORM loading + session (rows to objects, identity map)", ("/sqlalchemy/orm/",)),
    ("SQL: SQLAlchemy Core execute + rows, db.execute_batch", ("/sqlalchemy/", "boost_platform/db.py")),
]
# What is left is named by its innermost frame's library.
LEAF_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("NATS client (nats-py)", ("/nats/",)),
    ("Socket.IO / engine.IO / websocket", ("/socketio/", "/engineio/", "/websockets/", "/wsproto/")),
    ("pydantic (events, settings)", ("/pydantic/", "pydantic_core")),
    ("JSON (json, orjson)", ("/json/", "orjson")),
    ("logging, metrics, stall watch", ("/logging/", "boost_platform/metrics.py", "boost_platform/stalls.py",
                                       "prometheus_client", "boost_platform/logging.py")),
    ("HTTP server (uvicorn, h11/httptools)", ("/uvicorn/", "/h11/", "/httptools/")),
    ("framework (starlette, fastapi, anyio: routing, deps, middleware)",
     ("/starlette/", "/fastapi/", "/anyio/", "boost_platform/web.py")),
    ("greenlet (SQLAlchemy's async bridge)", ("greenlet",)),
    ("our own code (handler logic)", ("boost_", "_service/")),
]
EVENT_LOOP = ("event loop (uvloop: sockets, callbacks, task switches)",
              ("/asyncio/", "uvloop", "selectors.py", "boost_platform/serve.py"))
# What a sample serves: the outermost entry point found.
ENTRY_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("consumer: per event", ("Bus._handle (", "_consume_loop (")),
    ("bus request/reply", ("._answer (", "._dispatch (", "Bus.serve")),
    ("Socket.IO", ("/socketio/", "/engineio/")),
    ("HTTP request", ("run_asgi (", "/starlette/", "/fastapi/")),
    ("outbox relay (publish, mark, sweep)", ("boost_bus/outbox.py",)),
]
# SQLAlchemy runs sync code in a greenlet: py-spy sees that greenlet's frames only, so a sample
# starting in SQLAlchemy lost its caller (the request or the consumer that asked).
GREENLET_ROOT = "/sqlalchemy/"
OWN = ("/libs/", "/services/")
# py-spy's idle detection misses threads parked on a lock (the thread pool's workers, the stall
# watchdog's timer): a sample whose innermost frame waits is not CPU and is dropped.
IDLE_LEAVES = ("Condition.wait (", "Event.wait (", "_worker (", "Thread._wait_for_tstate_lock (",
               "BaseSelector.select (", "EpollSelector.select (", "SimpleQueue.get (")


def parse(path: Path) -> list[tuple[list[str], int]]:
    out = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = stack.split(";")
            if not any(frames[-1].startswith(idle) for idle in IDLE_LEAVES):
                out.append((frames, int(count)))
    return out


def classify(frames: list[str]) -> str:
    for name, patterns in STEP_RULES:
        if any(p in f for f in frames for p in patterns):
            return name
    # asyncio's own frames (a transport's write, a stream's read) count for the library above them,
    # up to the event loop's run (above it: uvicorn's start-up frames, the same in every sample).
    roots = [i for i, f in enumerate(frames) if "asyncio/runners.py" in f]
    for f in reversed(frames[roots[-1] + 1:] if roots else frames):
        for name, patterns in LEAF_RULES:
            if any(p in f for p in patterns):
                return name
    if any(p in f for f in frames for p in EVENT_LOOP[1]):
        return EVENT_LOOP[0]
    return "other: " + (frames[-1].rsplit("/", 1)[-1].rstrip(")") if frames else "?")


def entry(frames: list[str]) -> str:
    for name, patterns in ENTRY_RULES:
        if any(p in f for f in frames for p in patterns):
            return name
    if frames and GREENLET_ROOT in frames[0]:
        return "SQL in SQLAlchemy's greenlet (caller not visible)"
    return "event loop, timers, other"


def own_frame(frames: list[str]) -> str:
    """The innermost frame of our own code (libs/, services/): who asked for this CPU."""
    for f in reversed(frames):
        if any(o in f for o in OWN):
            func, _, where = f.partition(" (")
            path = where.rstrip(")").rsplit(":", 1)[0]
            for o in OWN:
                if o in path:
                    path = o.strip("/") + "/" + path.split(o, 1)[1]
                    break
            return f"{path}:{func}"
    if frames and GREENLET_ROOT in frames[0]:
        return "(SQL in SQLAlchemy's greenlet: the caller is cut off)"
    return "(no frame of ours: the event loop, uvicorn, nats-py)"


def analyse(root: Path) -> dict[str, dict[str, object]]:
    costs = json.loads((root / "cpu_cost.json").read_text())["ops"]
    report: dict[str, dict[str, object]] = {}
    for op, result in costs.items():
        ms_of: dict[str, float] = result["ms_cpu_per_request"]
        steps: Counter[str] = Counter()
        entries: dict[str, Counter[str]] = defaultdict(Counter)
        by_service: dict[str, Counter[str]] = defaultdict(Counter)
        own: Counter[str] = Counter()
        samples_of: dict[str, int] = {}
        for stacks in sorted((root / op).glob("*.txt")):
            service = stacks.stem
            parsed = parse(stacks)
            total = sum(n for _, n in parsed)
            samples_of[service] = total
            if not total:
                continue
            ms_per_sample = ms_of.get(service, 0.0) / total
            for frames, n in parsed:
                ms = n * ms_per_sample
                steps[classify(frames)] += ms
                entries[service][entry(frames)] += ms
                by_service[service][classify(frames)] += ms
                own[own_frame(frames)] += ms
        for service in ("gateway", "nats", "mariadb (shared)"):
            label = {"gateway": "nginx (the gateway, whole)", "nats": "NATS server (whole)",
                     "mariadb (shared)": "MariaDB server (whole; shared with the other jobs)"}[service]
            steps[label] += ms_of.get(service, 0.0)
        report[op] = {"sent": result["sent"], "failed": result["failed"], "rate": result["rate"],
                      "ms_cpu_per_request": ms_of, "steps": dict(steps), "entries": {k: dict(v) for k, v in entries.items()},
                      "by_service": {k: dict(v) for k, v in by_service.items()},
                      "own": dict(own), "samples": samples_of}
    return report


def markdown(report: dict[str, dict[str, object]]) -> str:
    out = []
    for op, r in report.items():
        steps: dict[str, float] = r["steps"]  # type: ignore[assignment]
        total = sum(steps.values())
        out.append(f"### {op} ({r['sent']} sent at {r['rate']:g}/s, {r['failed']} failed; "
                   f"{total:.2f} ms of CPU per request in all)\n")
        out.append("| step | ms CPU / request | % |\n|---|---|---|")
        for name, ms in sorted(steps.items(), key=lambda kv: -kv[1]):
            if ms >= 0.005:
                out.append(f"| {name} | {ms:.2f} | {100 * ms / total:.0f}% |")
        out.append("\n| service: what it served | ms CPU / request | py-spy samples |\n|---|---|---|")
        entries: dict[str, dict[str, float]] = r["entries"]  # type: ignore[assignment]
        samples: dict[str, int] = r["samples"]  # type: ignore[assignment]
        for service, per in entries.items():
            for name, ms in sorted(per.items(), key=lambda kv: -kv[1]):
                if ms >= 0.005:
                    out.append(f"| {service}: {name} | {ms:.2f} | {samples[service]} in all |")
        out.append("\n| service: its biggest steps (ms CPU / request) |\n|---|")
        by_service: dict[str, dict[str, float]] = r["by_service"]  # type: ignore[assignment]
        for service, per in by_service.items():
            if sum(per.values()) >= 0.3:
                top = sorted(per.items(), key=lambda kv: -kv[1])[:6]
                out.append(f"| **{service}** {sum(per.values()):.2f}: " + "; ".join(f"{k} {v:.2f}" for k, v in top) + " |")
        out.append("\n| our function that asked for the CPU (innermost frame of ours) | ms CPU / request |\n|---|---|")
        own: dict[str, float] = r["own"]  # type: ignore[assignment]
        for name, ms in sorted(own.items(), key=lambda kv: -kv[1])[:12]:
            out.append(f"| `{name}` | {ms:.2f} |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    root = Path(sys.argv[1])
    report = analyse(root)
    (root / "profile_report.json").write_text(json.dumps(report, indent=2))
    print(markdown(report))


if __name__ == "__main__":
    main()
