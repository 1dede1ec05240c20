"""The server processes' shared state in the store's database (`adapters/shared_state.py`),
on SQLite and on PostgreSQL: claims that outlive their process, windows that end, rows
that go once expired, and processes that start together."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from adapters.shared_state import RUNNING, open_shared_state
from adapters.store import persistence_env


def shared(url, tmp_path):
    return open_shared_state(persistence_env(url, tmp_path / "var"))


def rows(state, table) -> int:
    with state.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_key_is_answered_once_and_a_claim_left_by_a_dead_process_is_free_after_it_expires(store_url, tmp_path):
    one, two = shared(store_url, tmp_path), shared(store_url, tmp_path)  # two processes' pools
    try:
        assert one.claim("cred", "k", "request-1", now=0, expires=3600) is None  # one takes it
        still = two.claim("cred", "k", "request-1", now=10, expires=3610)
        assert (still.fingerprint, still.status) == ("request-1", RUNNING)  # the other is told it runs
        assert two.claim("cred", "k", "request-1", now=3601, expires=7201) is None  # its process died: taken over
        two.keep("cred", "k", 201, b'{"ok": true}', {"location": "/x"}, expires=90_000)
        answer = one.claim("cred", "k", "request-1", now=3700, expires=7300)
        assert (answer.status, answer.body, answer.headers) == (201, b'{"ok": true}', {"location": "/x"})
        assert one.claim("other-cred", "k", "request-1", now=3700, expires=7300) is None  # keys are per credential
    finally:
        one.close()
        two.close()


def test_a_released_claim_may_be_tried_again_but_an_answer_is_not_released(store_url, tmp_path):
    state = shared(store_url, tmp_path)
    try:
        assert state.claim("cred", "k", "f", now=0, expires=100) is None
        state.release("cred", "k")
        assert state.claim("cred", "k", "f", now=1, expires=100) is None
        state.keep("cred", "k", 200, b"done", {}, expires=1000)
        state.release("cred", "k")
        assert state.claim("cred", "k", "f", now=2, expires=100).body == b"done"
    finally:
        state.close()


def test_failures_are_counted_per_window_and_every_expired_row_is_deleted(store_url, tmp_path):
    state = shared(store_url, tmp_path)
    try:
        counts = [state.count_failure(["client:a", "credential:x"], now=float(n), window=60) for n in range(3)]
        assert counts == [1, 2, 3]
        assert state.count_failure(["client:b", "credential:x"], now=3, window=60) == 4  # the secret, from anywhere
        assert state.count_failure(["client:a"], now=61, window=60) == 1  # a new window
        state.keep("cred", "k", 200, b"", {}, expires=50)  # nothing claimed: nothing kept
        state.claim("cred", "k", "f", now=0, expires=50)
        state.purge("hhb_failed_signins", now=70)
        state.purge("hhb_idempotency", now=70)
        assert rows(state, state.failed_signins) == 1  # client:a's new window
        assert rows(state, state.idempotency) == 0
    finally:
        state.close()


def test_processes_starting_together_create_the_tables_once(store_url, tmp_path):
    errors, opened = [], []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opened.append(shared(store_url, tmp_path))
        except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for state in opened:
        state.close()
    assert errors == [] and len(opened) == 4
