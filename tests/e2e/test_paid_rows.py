"""The nightly job writes the read-model rows of the households it has just saved, so the
catch-up after it does not load them again (`Projections.write_paid`): the rows are the
ones a rebuild writes, the catch-up loads no household the job paid, and a row is never
put back to an older version of its household."""

from __future__ import annotations

from datetime import date

from adapters.bootstrap import bootstrap
from huishoudboekje.config import Settings
from huishoudboekje.projections.views import Projections
from tests.factories import MANAGED

from .test_onboarding import hhb


def _projected_loads(svc, monkeypatch) -> list:
    """The aggregates the read models' catch-up reconstructs from here on."""
    loaded: list = []
    catching_up = [False]
    get, catch_up = type(svc.engine.repository).get, type(svc.projections).catch_up

    def counting(self, aggregate_id, **kwargs):
        if catching_up[0]:
            loaded.append(aggregate_id)
        return get(self, aggregate_id, **kwargs)

    def flagged(self, *args, **kwargs):
        catching_up[0] = True
        try:
            return catch_up(self, *args, **kwargs)
        finally:
            catching_up[0] = False

    monkeypatch.setattr(type(svc.engine.repository), "get", counting)
    monkeypatch.setattr(type(svc.projections), "catch_up", flagged)
    return loaded


def test_the_catch_up_after_a_night_loads_no_household_the_job_paid_and_equals_a_rebuild(
        store_url, personas, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    hhb(store_url, "onboard", *map(str, personas))
    svc = bootstrap(store_url, Settings(), True)
    try:
        svc.catch_up()
        before = svc.projections.view.dump()
        households = {hid for hid, _ in svc.engine.household_ids()}
        loaded = _projected_loads(svc, monkeypatch)
        svc.pay(date(2026, 12, 1), today=date(2026, 12, 1))  # pays, files, catches the read models up
        svc.catch_up()  # and the signals of the files nobody released yet
        assert svc.projections.status().lag == 0
        assert not households & set(loaded)  # the job wrote their rows: not loaded again to project them
        live = svc.projections.view.dump()
        assert {r["dossier"]: r["version"] for r in live["hhb_households"]} != {
            r["dossier"]: r["version"] for r in before["hhb_households"]}
        views = Projections(svc.engine)
        views.rebuild(batch=5)
        assert views.view.dump() == live
    finally:
        svc.engine.close()


def test_a_households_row_is_never_put_back_to_an_older_version(store_url, personas, monkeypatch):
    monkeypatch.setenv("HHB_MANAGED_ACCOUNTS", MANAGED)
    hhb(store_url, "onboard", str(personas[0]))
    svc = bootstrap(store_url, Settings(), True)
    try:
        svc.pay(date(2026, 12, 1), today=date(2026, 12, 1))
        views = svc.projections
        dossier = next(d for _, d in svc.engine.household_ids())
        newest = svc.engine.household(dossier)
        row = views.view.row("SELECT version, state FROM {t}hhb_households WHERE dossier = :d", {"d": dossier})
        assert row["version"] == newest.version
        older = svc.engine.repository.get(newest.id, version=newest.version - 1)
        views.write_paid([older])  # a worker late with an older one
        again = views.view.row("SELECT version, state FROM {t}hhb_households WHERE dossier = :d", {"d": dossier})
        assert again == row
    finally:
        svc.engine.close()
