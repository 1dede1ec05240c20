"""The nightly schedule. Catching up is the job's own rule (from the day after the last
completed run), so a scheduler that was down for a week needs no magic: the next run
pays every missed day. The scheduler only has to start the job once a night."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from rich.console import Console

from huishoudboekje.config import Settings
from huishoudboekje.reconcile import RunError


def run_scheduler(job: Callable[[date], object], settings: Settings, console: Console, once: bool = False) -> None:
    """Catch up now, then run the job every night; `once`: catch up now and stop (a
    timer-driven unit, or a check that the job can run here)."""
    zone = ZoneInfo(settings.timezone)
    hour, minute = (int(part) for part in settings.scheduler_time.split(":"))

    def nightly() -> None:
        today = datetime.now(zone).date()
        try:
            summary = job(today)
        except RunError as exc:  # no households yet, or none started: nothing to do tonight
            console.print(f"{datetime.now(zone):%Y-%m-%d %H:%M} nothing reconciled through {today}: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - the scheduler outlives one failed night
            # The next night catches up from the last completed day, so a failed night
            # (the database unreachable, say) costs nothing but a delay; it must be seen.
            console.print(f"{datetime.now(zone):%Y-%m-%d %H:%M} the job failed for {today}, it runs again "
                          f"next night: {type(exc).__name__}: {exc}")
            return
        console.print(f"{datetime.now(zone):%Y-%m-%d %H:%M} reconciled through {today}: {summary}")

    nightly()  # after a restart: catch up at once
    if once:
        return
    scheduler = BlockingScheduler(timezone=zone)
    scheduler.add_job(nightly, CronTrigger(hour=hour, minute=minute, timezone=zone),
                      id="reconcile", coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
    console.print(f"scheduler: the job runs every night at {settings.scheduler_time} {settings.timezone}")
    scheduler.start()
