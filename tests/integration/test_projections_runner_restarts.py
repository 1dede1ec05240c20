"""Issue 25's acceptance: the projections runner killed (SIGKILL) and started again, and
PostgreSQL restarted under it, ends with read models equal to a rebuild.

The database is the test's own (`tests/private_postgres.py`), so it can be stopped at
once, cutting every connection, as in a crash, without touching anyone else's. The test
waits by polling `hhb projections status` with a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from adapters.store import open_engine
from huishoudboekje.projections.views import Projections
from tests.conftest import ROOT, register_teams
from tests.factories import MANAGED
from tests.private_postgres import private_postgres
from tests.projections_runner import caught_up, follow, onboard_quietly, wait_for


def test_a_killed_runner_and_a_restarted_database_end_equal_to_a_rebuild(tmp_path, personas, example_doc):
    var = tmp_path / "var"
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": MANAGED, "HHB_VAR_DIR": str(var)}
    with private_postgres() as pg:
        url = pg.url
        register_teams(url, tmp_path)
        onboard_quietly(url, var, personas[0])
        with follow(url, env) as (first, log):
            wait_for("the first runner catches up", lambda: caught_up(url, env), log)
            onboard_quietly(url, var, personas[1])
            first.send_signal(signal.SIGKILL)  # wherever it is: before, in or after that batch
            assert first.wait(timeout=60) == -signal.SIGKILL
        onboard_quietly(url, var, personas[2])  # stored while no runner runs

        with follow(url, env) as (second, log):
            wait_for("a new runner catches up", lambda: caught_up(url, env), log)
            pg.restart()  # every connection cut, the server back on the same port
            onboard_quietly(url, var, example_doc)  # through a new connection, while the runner reconnects
            pay = subprocess.run([sys.executable, "-m", "adapters.cli", "reconcile", "--date", "2026-12-01",
                                  "--db", url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert pay.returncode == 0, pay.stderr
            found = wait_for("the runner carries on after the restart", lambda: caught_up(url, env), log)
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0
            log.seek(0)
            said = log.read()
        assert "the database cannot be reached" in said and "the database answers again" in said

        engine = open_engine(url, var)
        try:
            views = Projections(engine)
            live = views.dump()
            assert views.status().position == found["newest_event"]
            assert len(live["hhb_households"]) == 4 and live["hhb_signals"]  # the pay date's signals too
            assert views.rebuild(batch=7) > 0
            assert views.dump() == live
        finally:
            engine.close()
