"""The PostgreSQL hang of a large import, reproduced with psycopg alone (run on demand).

One INSERT ... SELECT FROM unnest(%s) RETURNING, the shape of the event store's insert,
with N rows of S bytes as one parameter, after LOCK TABLE and NOTIFY, in one transaction:
in pipeline mode (what eventsourcing's recorder does) and in plain mode (what
`adapters/pgstore.py` does, in bounded statements). A watchdog reports a run that has not
finished after --watchdog seconds as HUNG and dumps what the server is doing.

    .venv/bin/python bench/pg_pipeline_hang.py                      # 30,000 x 300 B, both modes
    .venv/bin/python bench/pg_pipeline_hang.py --rows 10000 --tries 5
    PSYCOPG_IMPL=python .venv/bin/python bench/pg_pipeline_hang.py  # the pure-Python driver

Found on 2026-12-05 with psycopg 3.3.9 (binary, libpq 18) and PostgreSQL 15: pipeline mode
hangs every time at 20,000 x 300 B (6 MB) and at one row of 5 MB, with the server in
`ClientRead`; 10,000 x 300 B (3 MB) passes; plain mode never hangs.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid

import psycopg


def one(url: str, rows: int, size: int, pipeline: bool, watchdog: float) -> str:
    ids = [uuid.uuid4() for _ in range(rows)]
    payload = os.urandom(size)
    sql = ("INSERT INTO hhb_pipeline_probe (id, v, state) "
           "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::bytea[]) RETURNING n")
    args = (ids, [1] * rows, [payload] * rows)
    conn = psycopg.connect(url, autocommit=True)
    result: list[str] = []

    def run() -> None:
        t0 = time.perf_counter()
        if pipeline:
            with conn.pipeline() as p, conn.transaction():
                with conn.cursor() as cur:
                    cur.execute("LOCK TABLE hhb_pipeline_probe IN EXCLUSIVE MODE")
                    cur.execute("NOTIFY hhb_pipeline_probe")
                with conn.cursor() as cur:
                    cur.execute(sql, args)
                    p.sync()
                    got = len(cur.fetchall())
        else:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("LOCK TABLE hhb_pipeline_probe IN EXCLUSIVE MODE")
                cur.execute("NOTIFY hhb_pipeline_probe")
                cur.execute(sql, args)
                got = len(cur.fetchall())
        result.append(f"{got} rows in {time.perf_counter() - t0:.2f} s")

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(watchdog)
    if worker.is_alive():
        with psycopg.connect(url, autocommit=True) as other:
            activity = other.execute(
                "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity "
                "WHERE query LIKE '%hhb_pipeline_probe%' AND pid <> pg_backend_pid()").fetchall()
            other.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE query LIKE '%hhb_pipeline_probe%' AND pid <> pg_backend_pid()")
        return f"HUNG after {watchdog:.0f} s; server: {activity}"
    conn.close()
    return result[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("HHB_TEST_POSTGRES_URL",
                                                        "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--rows", type=int, default=30000)
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--watchdog", type=float, default=20)
    args = parser.parse_args()
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS hhb_pipeline_probe")
        conn.execute("CREATE TABLE hhb_pipeline_probe (id uuid, v bigint, state bytea, n bigserial, "
                     "PRIMARY KEY (id, v))")
    print(f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}, libpq {psycopg.pq.version()}), "
          f"{args.rows} rows x {args.size} B in one parameter")
    for mode in ("pipeline", "plain"):
        for attempt in range(args.tries):
            print(f"{mode:8} try {attempt + 1}: {one(args.url, args.rows, args.size, mode == 'pipeline', args.watchdog)}",
                  flush=True)
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS hhb_pipeline_probe")


if __name__ == "__main__":
    main()
