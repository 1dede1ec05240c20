"""The composition root: settings → engine, read models, payment-file writer, services.

The CLI, the API, the participants' page and the scheduler all start here and call
the same `Services`: one place builds the pain.001 writer and calls the pay-date job
with the settings, assembles "what's left", catches the read models up, and answers
every read question the CLI and the API both offer (so both give the same fields).

It lives in `adapters/` because it is the one place that knows both the application
(`huishoudboekje/`) and the adapters it is wired to (the store, the payment files).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from functools import cached_property
from time import monotonic
from zoneinfo import ZoneInfo
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from huishoudboekje import erasure
from huishoudboekje import households as household_service
from huishoudboekje import maatwerk, payment_files
from huishoudboekje import statements as statement_service
from huishoudboekje import teams as team_service
from huishoudboekje import treasury
from huishoudboekje.config import Settings
from huishoudboekje.domain.household import ENDED, Household, NotFound
from huishoudboekje.domain.maatwerk_proposal import DEFAULT_PRICES, PriceList
from huishoudboekje.domain.money import Money
from huishoudboekje.domain.statement import Statement
from huishoudboekje.engine import Engine
from huishoudboekje.onboarding import HouseholdSpec
from huishoudboekje.projections.left import what_is_left
from huishoudboekje.payment_files import Available
from huishoudboekje.reconcile import RunSummary, files_dir, reconcile
from huishoudboekje.workers import reconcile_worker
from huishoudboekje.statements import ImportResult
from huishoudboekje.history import household_detail, household_on, timeline

from .payments import Pain001Writer, PaymentFiles
from .pgclaims import postgres_claims
from .store import open_engine

if TYPE_CHECKING:  # pragma: no cover
    from .access_log import AccessLog
    from huishoudboekje.projections.views import Projections

    from .shared_state import SharedState

Progress = Callable[[int, int], None]


class Services:
    """What the entry points do, each written once, with the settings applied."""

    def __init__(self, engine: Engine, settings: Settings, available: Available | None = None) -> None:
        self.engine = engine
        self.settings = settings
        # What a managed account holds for payments, asked before a payment file is
        # released: the last statement's closing balance less what is on its way already
        # (`treasury.available`); None where no statement gave a balance yet.
        self.available = available or self._available
        self.projections_lock = threading.Lock()  # two catch-ups at once would project one batch twice
        self._runner_seen: tuple[float, bool] | None = None  # (monotonic time asked, running)

    def _available(self, account: str) -> Money | None:
        self.catch_up()  # which files are released: the read model must know the latest
        return treasury.available(self.engine, account, self.settings.default_account, self.projections.unreleased)

    @cached_property
    def projections(self) -> Projections:
        # imported here: SQLAlchemy takes a second to load, and many commands never read a view
        from huishoudboekje.projections.views import Projections

        # one per process: building it creates tables; two processes starting at once (a
        # runner and a server, say) may both create them, and PostgreSQL refuses the second
        # CREATE TABLE IF NOT EXISTS with a duplicate key: then the tables are there
        from huishoudboekje.retry import retrying

        return retrying(lambda: Projections(self.engine), attempts=3, on=(IntegrityError,))

    @cached_property
    def access_log(self) -> AccessLog:
        """Who read which household (`adapters/access_log.py`); append-only. Imported
        here for the same reason as the projections (SQLAlchemy)."""
        from .access_log import AccessLog

        return AccessLog(self.engine)

    def read_by(self, actor: str | None, dossiers: Iterable[str], action: str) -> None:
        """Log a person's read of households' data; nothing when no person is named."""
        if actor:
            self.access_log.record(actor, dossiers, action)

    @cached_property
    def shared_state(self) -> SharedState:
        """What the server's processes share (Idempotency-Keys, failed sign-ins), in the
        store's database; imported here for the same reason as the projections."""
        from .shared_state import open_shared_state

        return open_shared_state(self.engine.env)

    # -- writes ------------------------------------------------------------------------

    def catch_up(self, wait: bool = True) -> bool:
        """Bring the read models up to date after a write, so the next read sees it.
        `wait=False`: when another thread is catching up, return False at once (a page
        then reads what is there rather than wait)."""
        if not self.projections_lock.acquire(blocking=wait):
            return False
        try:
            self.projections.catch_up()
        except IntegrityError:
            pass  # another process projected the same events first: they are there
        finally:
            self.projections_lock.release()
        return True

    def runner_running(self) -> bool:
        """Whether a projections runner (`hhb projections run --follow`) keeps the read
        models current: its heartbeat is within HHB_PROJECTION_RUNNER_TIMEOUT. Asked of the
        database at most once a second per process; an error counts as not running."""
        from huishoudboekje.projections.runner import runner_status

        seen = self._runner_seen
        if seen is not None and monotonic() - seen[0] < 1.0:
            return seen[1]
        try:
            status = runner_status(self.projections, self.settings.projection_runner_timeout)
        except Exception:  # noqa: BLE001 - then this process catches up itself, as without a runner
            status = None
        running = bool(status and status["running"])
        self._runner_seen = (monotonic(), running)
        return running

    def payment_writer(self) -> Pain001Writer:
        s = self.settings
        return Pain001Writer(files_dir(s.var_dir), s.debtor_name, s.pain_version)

    def pay(self, through: date, today: date | None = None, progress: Progress | None = None,
            worker: bool = False) -> RunSummary:
        """The pay-date job through `through`, with the municipality's settings; then the
        escalation of payment files nobody released in time (as of `through`).

        `worker`: share the night with the other workers on this PostgreSQL (claims in
        the database, huishoudboekje/workers.py). On SQLite the worker runs the whole job:
        one writer at a time, and two jobs at once are already safe (optimistic concurrency).
        Only a worker that completed days (filed) catches the read models up and escalates:
        the others would repeat that work at the same moment."""
        s = self.settings
        options: dict[str, Any] = dict(
            default_account=s.default_account, write_file=self.payment_writer(), today=today or date.today(),
            progress=progress, unrepaid_cycles=s.buffer_unrepaid_cycles, batch=s.reconcile_batch,
            participant_ceiling=s.limits.participant_ceiling, saved=self.projections.write_paid)
        claims = postgres_claims(self.engine) if worker else None
        if claims is None:
            summary = reconcile(self.engine, through, **options)
        else:
            try:
                summary = reconcile_worker(self.engine, through, claims, **options)
            finally:
                claims.close()
            if not summary.days:  # the worker that filed catches the read models up and escalates
                return summary
        self.catch_up()  # the escalation finds pending files in the read model
        summary.escalated = payment_files.escalate(self.engine, self.projections, through)
        return summary

    def payment_store(self) -> PaymentFiles:
        return PaymentFiles(files_dir(self.settings.var_dir), self.settings.outbox)

    def release_payment_file(self, name: str, actor: str, today: date | None = None) -> dict[str, Any]:
        """Four eyes: a person with the role finance sends a pending file to the bank."""
        return payment_files.release(self.engine, self.payment_store(), name, actor, today or date.today(),
                                     zone=ZoneInfo(self.settings.timezone), available=self.available)

    def hold_payment_file(self, name: str, actor: str, reason: str, today: date | None = None) -> dict[str, Any]:
        return payment_files.hold(self.engine, self.payment_store(), name, actor, today or date.today(), reason)

    def send_notices(self, today: date | None = None) -> dict[str, Any]:
        """The notices due today, to the participants who chose them (after the job has paid)."""
        from huishoudboekje import notices

        from .notices import senders

        from .access_log import links, log_link_changes

        s = self.settings
        before = links(self.engine)
        try:
            return notices.send(self.engine, senders(s), today or date.today(), public_url=s.public_url,
                                link_days=s.notice_link_days, max_days=s.max_credential_days).as_dict()
        finally:  # the fresh links it issued (and revoked when a gateway failed), in the access log
            log_link_changes(self.access_log, "notices", before, links(self.engine))

    def retention(self, today: date, dry_run: bool = False) -> dict[str, Any]:
        """Erase (or list) the households whose participation ended more than
        HHB_RETENTION_YEARS before `today` (huishoudboekje/retention.py), and the statement
        lines booked to nobody whose value date is that long ago; the read model narrows
        down which households ended, their events decide."""
        from huishoudboekje import retention

        from .erase_traces import erase_residents_before, erase_unmatched_before

        years = self.settings.retention_years
        self.catch_up()
        ended = [row["dossier"] for row in self.households() if row["status"] == ENDED]
        summary = retention.run(self.engine, ended, today, years, dry_run=dry_run)
        # statement lines nobody ever booked carry a stranger's name: erased past the period too
        summary["unmatched_lines_erased"] = erase_unmatched_before(  # the dry run counts them
            self.engine, retention.first_kept(today, years), dry_run=dry_run)
        # so does a maatwerk case for a resident who took no part, once paid or withdrawn that long ago
        summary["maatwerk_residents_erased"] = erase_residents_before(
            self.engine, retention.first_kept(today, years), dry_run=dry_run)
        if summary["erased"]:
            self.catch_up()
        return summary

    def import_statements(self, statements: list[Statement], actor: str,
                          allow_unbalanced: bool = False) -> ImportResult:
        s = self.settings
        return statement_service.import_statements(self.engine, statements, managed=s.managed_accounts,
                                                   allow_unbalanced=allow_unbalanced, actor=actor, limits=s.limits,
                                                   funding=s.funding_accounts)

    def onboard(self, specs: list[tuple[str, HouseholdSpec]], actor: str,
                replace: bool = False) -> list[household_service.Onboarded]:
        """Onboard, then warn (not refuse) of a participant IBAN or a creditor reference
        another household uses too (from the read model, brought up to date first)."""
        results = household_service.onboard(self.engine, specs, actor, managed=self.settings.managed_accounts,
                                            replace=replace)
        self.catch_up()
        shared = household_service.shared_with_others(self.projections, specs)
        return [dataclasses.replace(r, warnings=tuple(shared.get(r.dossier, ()))) for r in results]

    def preview(self, specs: list[tuple[str, HouseholdSpec]], actor: str, as_of: date,
                replace: bool = False) -> list[dict[str, Any]]:
        """What `onboard` would write, and the first pay date's forecast; writes nothing."""
        return household_service.preview(self.engine, specs, actor, managed=self.settings.managed_accounts,
                                         as_of=as_of, replace=replace)

    # -- reads: the CLI and the API answer each of these with the same fields -----------

    def households(self, team: str | None = None) -> list[dict[str, Any]]:
        return self.projections.households(team)

    def household(self, dossier: str) -> Household:
        """A household as the read model has it; NotFound if there is none."""
        household = self.projections.household(dossier)
        if household is None:
            raise NotFound(f"no household with dossier {dossier}", field="dossier")
        return household

    def debts(self, dossier: str | None = None, team: str | None = None,
              as_of: date | None = None) -> list[dict[str, Any]]:
        """The debts of one household, or of every household (of a team), as the read model
        has them; frozen when a moratorium covers `as_of` (default today)."""
        from huishoudboekje.debts import debt_list

        as_of = as_of or date.today()
        if dossier is not None:
            return debt_list([self.household(dossier)], as_of)
        return debt_list((self.household(row["dossier"]) for row in self.households(team)), as_of)

    def household_detail(self, household: Household) -> dict[str, Any]:
        return household_detail(household)

    def history(self, dossier: str, as_of: date | None = None) -> dict[str, Any]:
        household = self.engine.household(dossier)
        return {"dossier": dossier, "events": timeline(self.engine, household.id),
                "as_of": household_on(household, as_of) if as_of else None}

    def left(self, household: Household, day: date | None = None, *, with_projection: bool = True) -> dict[str, Any]:
        """What's left this cycle, with the forecast, and (for staff) how current the read
        model is; the participant's page leaves that out, as it reads no such thing."""
        account = household.account or self.settings.default_account
        result = what_is_left(household, day or date.today(), self.projections.data_as_of(account),
                              self.projections.filed_through(), self.projections.unreleased(household.instructions))
        if with_projection:
            result["projection"] = self.projections.status().as_dict()
        return result

    def signals(self, dossier: str | None = None, team: str | None = None, status: str | None = None,
                *, households: bool = True, controls: bool | None = None) -> list[dict[str, Any]]:
        """Households' signals and the engine's own (`Controls`: a payment file nobody
        released, …), which belong to no dossier or team: with them unless a dossier or a
        team is asked for."""
        rows = self.projections.signals(dossier, team, status, households=households,
                                        controls=not (dossier or team) if controls is None else controls)
        held = self.held_back(team) if households else set()
        return [row for row in rows if row["id"] not in held]

    def held_back(self, team: str | None = None) -> set[str]:
        """The signals the cap per team per month holds back from the worklist (HHB_SIGNAL_CAP,
        `domain/signal_cap.py`): decided over every signal of the team's month."""
        from huishoudboekje.domain.signal_cap import held_back

        cap = self.settings.signal_cap
        return set() if cap is None else held_back(self.projections.signals(None, team), cap)

    def unmatched(self) -> list[dict[str, Any]]:
        return [statement_service.to_dict(r) for r in statement_service.unmatched(self.engine)]

    def teams(self) -> list[dict[str, Any]]:
        return team_service.listing(self.engine)

    def report(self, team: str | None = None, month: str | None = None) -> dict[str, Any]:
        from huishoudboekje.reports import team_report

        return team_report(self.projections, team, month, self.settings.signal_cap)

    def balance(self, account: str | None = None, on: date | None = None,
                signal_on: date | None = None) -> dict[str, Any]:
        """The daily balance check of every managed account (see huishoudboekje/treasury.py).
        `signal_on`: raise its signals (an unexplained difference, the buffer near its
        ceiling) as of that day; None: only read."""
        s = self.settings
        report = treasury.balance(self.engine, managed=s.managed_accounts, default_account=s.default_account,
                                  account=account, on=on,
                                  buffer_ceiling=None if s.buffer_ceiling is None else Money(s.buffer_ceiling))
        answer = report.as_dict()
        if signal_on is not None:
            answer["signals_raised"] = treasury.raise_signals(self.engine, report, signal_on)
        return answer

    def journal(self, month: str) -> dict[str, Any]:
        return treasury.journal(self.engine, month, self.settings.managed_accounts).as_dict()

    def payment_files(self, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Every payment file with its review's state (pending, held, released, before-review):
        the nightly job's and each paid maatwerk case's."""
        paid = [c.file for c in maatwerk.cases(self.engine) if c.file is not None]
        return payment_files.listing(self.engine, self.projections, states, paid)

    def payment_file(self, name: str) -> dict[str, Any]:
        """One file as its reviewer reads it: payments by creditor, and what is unusual."""
        from huishoudboekje.payment_review import show

        return show(self.engine, self.payment_store(), self.projections, name)

    # -- staff accounts and maatwerk (issue 22) ------------------------------------------

    # -- erasure (issue 24) ----------------------------------------------------------------

    def erase(self, dossier: str, reason: str, actor: str, confirmed_by: str | None = None,
              today: date | None = None) -> dict[str, Any]:
        """Crypto-shred a household (`huishoudboekje/erasure.py`), with the setting of
        whether a team lead needs a second person; the traces and the access log follow
        (`_after_erasure`)."""
        return erasure.erase(self.engine, dossier, reason=reason, actor=actor, confirmed_by=confirmed_by,
                             today=today or self.local_now().date(),
                             confirmation_required=self.settings.erase_confirmation == "required")

    def users(self) -> list[dict[str, Any]]:
        from huishoudboekje import users

        return users.listing(self.engine)

    def price_list(self) -> PriceList:
        path = self.settings.maatwerk_prices
        if path is None:
            return PriceList.parse(DEFAULT_PRICES)
        from .documents import load_document

        return PriceList.parse(load_document(path), source=str(path))

    def maatwerk_pay_settings(self) -> maatwerk.PaySettings:
        s = self.settings
        cutoff = time.fromisoformat(s.maatwerk_cutoff) if s.maatwerk_cutoff else None
        return maatwerk.PaySettings(account=s.maatwerk_account or s.default_account,
                                    default_budget=Money(s.maatwerk_budget), cutoff=cutoff,
                                    managed=tuple(s.managed_accounts))

    def local_now(self) -> datetime:
        return datetime.now(ZoneInfo(self.settings.timezone)).replace(tzinfo=None)

    def maatwerk_propose(self, document: Any, actor: str, on: date | None = None) -> dict[str, Any]:
        return maatwerk.propose(self.engine, document, actor, on or self.local_now().date(), self.price_list(),
                                tuple(self.settings.managed_accounts))

    def maatwerk_approve(self, number: str, actor: str, at: datetime | None = None, reason: str | None = None,
                         after_save: Callable[[], None] | None = None) -> dict[str, Any]:
        return maatwerk.approve(self.engine, number, actor, at or self.local_now(), self.payment_writer(),
                                self.maatwerk_pay_settings(), reason=reason, after_save=after_save)

    def maatwerk_cases(self, team: str | None = None, status: str | None = None, year: int | None = None,
                       today: date | None = None) -> list[dict[str, Any]]:
        return maatwerk.listing(self.engine, today or self.local_now().date(), team, status, year)

    def maatwerk_case(self, number: str, today: date | None = None) -> dict[str, Any]:
        return maatwerk.case(self.engine, number).as_dict(today or self.local_now().date())

    def maatwerk_report(self, year: int | None = None, team: str | None = None,
                        today: date | None = None) -> dict[str, Any]:
        from huishoudboekje import maatwerk_report

        today = today or self.local_now().date()
        return maatwerk_report.report(self.engine, year or today.year, Money(self.settings.maatwerk_budget), today,
                                      team)


@erasure.after_erasure
def _log_erasure(engine: Engine, household_id: Any, dossier: str, done: dict[str, Any]) -> None:
    """Every erasure is in the access log, with its reason (and who confirmed it)."""
    from .access_log import AccessLog

    confirmed = f"; confirmed by {done['confirmed_by']}" if done.get("confirmed_by") else ""
    again = " (again)" if done.get("again") else ""
    AccessLog(engine).record(done["actor"], [dossier], f"hhb erase{again}: {done['reason']}{confirmed}")


@erasure.after_erasure
def _purge_traces(engine: Engine, household_id: Any, dossier: str, done: dict[str, Any]) -> None:
    """What else held the household's personal data: statement lines, runs, read models."""
    from .erase_traces import purge_household_traces

    purge_household_traces(engine, household_id, dossier)


def bootstrap(db_url: str | None = None, settings: Settings | None = None, create: bool = True) -> Services:
    """Settings (from the environment unless given) → an open store → the services.
    `create` False: a store that is not there yet is refused, not made (commands that read)."""
    settings = settings or Settings()
    engine = open_engine(db_url or settings.database_url, settings.var_dir, settings.db_write_timeout,
                         settings.db_lock_timeout, create)
    return Services(engine, settings)
