"""Chat threads on MariaDB: posting a message, and reading the last 50 of a
100,000-message thread (plus a page from its middle), beside the raw SQL floor.

Run: .venv/bin/python -m bench.feedback_bench   (needs MariaDB at 127.0.0.1:3306 and NATS)
okr and feedback run as their own processes, as under `make run`; requests go over
loopback HTTP with a bearer token. A post is one transaction (the message, its outbox
row); the event is published to JetStream after the commit, outside the request. The
floor is the SQL a post or a read cannot avoid: one INSERT + COMMIT, one indexed
SELECT of 50 rows."""

from __future__ import annotations

import os
import random
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.common import start_service, summary_ms, write_results

DB = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
NATS = os.environ.get("BOOST_TEST_NATS_URL", "nats://127.0.0.1:4222")
THREAD_SIZE = 100_000
N = int(os.environ.get("BENCH_N", "500"))
WORDS = "the quarter looks good but the churn KR worries me let us pair on it tomorrow after standup".split()


def seed_thread(engine: sa.Engine, subject: str, author_ids: list[int]) -> None:
    rng = random.Random(11)
    start = datetime(2027, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as c:
        batch = []
        for i in range(THREAD_SIZE):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
            mentions = "[]"
            if i % 20 == 0:
                who = rng.choice(author_ids)
                body, mentions = f"<@{who}> {body}", f"[{who}]"
            batch.append({"s": subject, "a": rng.choice(author_ids), "b": body, "m": mentions,
                          "t": start + timedelta(seconds=30 * i)})
            if len(batch) == 10_000:
                c.execute(sa.text("INSERT INTO messages (subject, author_id, body, mentions, created_at, deleted) "
                                  "VALUES (:s, :a, :b, :m, :t, 0)"), batch)
                batch = []


def floor_insert(engine: sa.Engine, subject: str, author: int) -> float:
    started = time.perf_counter()
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO messages (subject, author_id, body, mentions, created_at, deleted) "
                          "VALUES (:s, :a, 'floor', '[]', :t, 0)"),
                  {"s": subject, "a": author, "t": datetime.now(UTC).replace(tzinfo=None)})
    return time.perf_counter() - started


def floor_select(engine: sa.Engine, subject: str, before: int | None = None) -> float:
    started = time.perf_counter()
    with engine.connect() as c:
        where = "" if before is None else " AND id < :b"
        c.execute(sa.text("SELECT id, subject, author_id, body, mentions, created_at, edited_at, deleted FROM messages "
                          f"FORCE INDEX (ix_messages_subject_id) WHERE subject = :s{where} ORDER BY id DESC LIMIT 50"),
                  {"s": subject, "b": before}).all()
    return time.perf_counter() - started


def main() -> None:
    ns = "bench" + secrets.token_hex(3)
    data_dir = Path(tempfile.mkdtemp(prefix="boost-bench-"))
    okr_port, fb_port = 18960, 18961
    env = {"BOOST_DATABASE_URL": DB, "BOOST_NATS_URL": NATS, "BOOST_NAMESPACE": ns, "BOOST_DATA_DIR": str(data_dir),
           "BOOST_DEMO": "0", "BOOST_LOG_LEVEL": "WARNING"}
    procs = [start_service("okr", okr_port, env, data_dir / "okr.log")]
    engine = sa.create_engine(sa.engine.make_url(DB).set(database=f"{ns}_boost_feedback"), pool_size=2)
    try:
        okr = httpx.Client(base_url=f"http://127.0.0.1:{okr_port}", timeout=30)
        token = okr.post("/api/auth/dev-login", json={"email": "admin@boost.example"}).json()["token"]
        okr.cookies.clear()
        okr.headers["Authorization"] = f"Bearer {token}"
        root = next(t for t in okr.get("/api/okr/teams").json() if t["parent_id"] is None)
        people = [okr.post("/api/okr/users", json={"email": f"p{i}@bench.example", "name": f"Person {i}"}).json()["id"]
                  for i in range(20)]
        objective = okr.post("/api/okr/objectives", json={
            "cycle": "current", "team_id": root["id"], "title": "Bench the chat",
            "key_results": [{"title": "Fast", "start": 0, "target": 1}]}).json()
        subject = f"objective:{objective['id']}"
        procs.append(start_service("feedback", fb_port, env, data_dir / "feedback.log"))
        fb = httpx.Client(base_url=f"http://127.0.0.1:{fb_port}", timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
        url = f"/api/feedback/threads/{subject}/messages"
        deadline = time.monotonic() + 30
        while fb.post(url, json={"body": "hello"}).status_code != 201:  # until feedback knows okr's org
            if time.monotonic() > deadline:
                raise RuntimeError(f"feedback never caught up; see {data_dir / 'feedback.log'}")
            time.sleep(0.2)
        print(f"seeding {THREAD_SIZE:,} messages…", flush=True)
        t0 = time.perf_counter()
        seed_thread(engine, subject, people)
        print(f"seeded in {time.perf_counter() - t0:.1f}s", flush=True)
        with engine.connect() as c:
            middle = int(c.execute(sa.text("SELECT id FROM messages WHERE subject = :s ORDER BY id LIMIT 1 OFFSET :o"),
                                   {"s": subject, "o": THREAD_SIZE // 2}).scalar_one())
        rng = random.Random(5)
        for _ in range(20):  # warm both paths
            fb.post(url, json={"body": "warm-up"}).raise_for_status()
            fb.get(url).raise_for_status()
        posts, reads, pages, f_insert, f_select, f_page = [], [], [], [], [], []
        for i in range(N):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
            if i % 10 == 0:
                body = f"<@{rng.choice(people)}> {body}"
            t = time.perf_counter()
            fb.post(url, json={"body": body}).raise_for_status()
            posts.append(time.perf_counter() - t)
            t = time.perf_counter()
            latest = fb.get(url, params={"limit": 50})
            reads.append(time.perf_counter() - t)
            assert len(latest.json()) == 50
            t = time.perf_counter()
            fb.get(url, params={"limit": 50, "before": middle}).raise_for_status()
            pages.append(time.perf_counter() - t)
            f_insert.append(floor_insert(engine, subject, people[0]))
            f_select.append(floor_select(engine, subject))
            f_page.append(floor_select(engine, subject, middle))
        results = {"post_message": summary_ms(posts), "read_last_50": summary_ms(reads),
                   "read_50_mid_thread": summary_ms(pages), "floor_insert_commit": summary_ms(f_insert),
                   "floor_select_last_50": summary_ms(f_select), "floor_select_50_mid_thread": summary_ms(f_page)}
        table = [["operation", "p50", "p99", "SQL floor p50", "SQL floor p99", "p99 / floor p99"]]
        for label, ours, base in (("post a message", "post_message", "floor_insert_commit"),
                                  ("read the last 50", "read_last_50", "floor_select_last_50"),
                                  ("read 50 mid-thread (before=)", "read_50_mid_thread", "floor_select_50_mid_thread")):
            r, f = results[ours], results[base]
            table.append([label, f"{r['p50_ms']:.2f} ms", f"{r['p99_ms']:.2f} ms", f"{f['p50_ms']:.2f} ms",
                          f"{f['p99_ms']:.2f} ms", f"{r['p99_ms'] / f['p99_ms']:.1f}×"])
        md = write_results("feedback", {"dataset": {"thread_messages": THREAD_SIZE, "samples": N, "transport":
                                                    "loopback HTTP, one uvicorn worker per service"},
                                        "results": results}, table)
        print(md)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        engine.dispose()
        with sa.create_engine(DB, isolation_level="AUTOCOMMIT").connect() as c:
            for (schema,) in c.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": ns + "\\_%"}):
                c.exec_driver_sql(f"DROP DATABASE `{schema}`")
        _drop_streams(ns)


def _drop_streams(ns: str) -> None:
    import asyncio

    import nats

    async def drop() -> None:
        nc = await nats.connect(NATS, connect_timeout=2)
        try:
            js = nc.jetstream()
            for info in await js.streams_info():
                if info.config.name and info.config.name.startswith(ns + "_"):
                    await js.delete_stream(info.config.name)
        finally:
            await nc.close()

    asyncio.run(drop())


if __name__ == "__main__":
    main()
