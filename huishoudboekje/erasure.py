"""Erasing a household's personal data (issue 24): its key is destroyed.

A household is erased when it no longer takes part and holds no money: its
participation ended, the final settlement was paid, and nothing is left in its pot,
held leefgeld, reserves, buffer, claim or pending deductions, and no payment of it is
still to be executed or waits in a payment file nobody released. Who may: the privacy officer (role `privacy`), or a team lead with
a second, different person's confirmation (a team lead or the privacy officer) where
the setting HHB_ERASE_CONFIRMATION asks for it (the default).

`erase` appends `Household.Erased` (the day, the reason, who and who confirmed: no
personal data), destroys the household's key and its notices' key (`personal_data.py`),
removes the household's snapshots (older ones may hold plaintext, from before sealing),
writes the household's rows of the read models anew (now reading `[verwijderd]`), and
then calls what the composition root registered (`after_erasure`): the purge of the
household's traces in other tables (`adapters/erase_traces.py`) and the access log's
entry with the reason. Amounts and dates were never sealed: the money still adds up.
An erased household erased again (after a restore of a backup older than its erasure)
is shredded again, without a second event: `"again": true` in the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from .domain.errors import DomainError
from .domain.household import Household
from .domain.notices import notices_id
from .domain.roles import PRIVACY, TEAMLEAD, person
from .domain.terms import ENDED
from .engine import Engine

# After an erasure: (engine, household id, dossier, what was done) -> None.
Hook = Callable[[Engine, UUID, str, dict[str, Any]], None]
_hooks: list[Hook] = []


class ErasureError(DomainError):
    """An erasure refused: the household still takes part or holds money, or the person
    may not erase (alone). Nothing was written."""


def after_erasure(hook: Hook) -> Hook:
    """Register what else an erasure does (adapters: traces, access log); once per hook."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def refusal(engine: Engine, dossier: str, today: date) -> str | None:
    """Why `dossier` may not be erased (yet), in staff's words; None: it may."""
    household = engine.household(dossier)
    return refusal_of(household, today) or unreleased(engine, household)


def unreleased(engine: Engine, household: Household) -> str | None:
    """A payment of it in a file nobody released yet (four eyes): its money has not left.
    Read from the read models, caught up first."""
    scheduled = [i.id for i in household.instructions.values() if i.status == "scheduled"]
    if not scheduled:
        return None
    from .projections.views import Projections

    views = Projections(engine)
    views.catch_up()
    if views.unreleased(scheduled):
        return (f"{household.dossier}: a payment file with its payments is not released yet; finance releases it "
                "(hhb payment-files list --state pending, then release) / een betaalbestand met zijn betalingen "
                "is nog niet vrijgegeven")
    return None


def refusal_of(household: Household, today: date) -> str | None:
    h = household
    if h.erased_on is not None:
        return f"{h.dossier} is already erased (on {h.erased_on}) / al verwijderd"
    if h.status != ENDED:
        return f"{h.dossier} still takes part: end the participation first / neemt nog deel"
    if h.settled_on is None:
        day = h.settlement_date()
        return (f"{h.dossier}: the final settlement is not paid yet (on {day}); the nightly job (hhb reconcile) "
                f"pays it, erase after that / de eindafrekening is nog niet betaald")
    held = _money_held(h)
    if held:
        return (f"{h.dossier} still holds money: {', '.join(held)}; it is erased once that is paid out, repaid "
                f"or settled (a buffer owed that will not be repaid has no write-off yet) / heeft nog geld")
    waiting = sorted(i.execution_date for i in h.instructions.values()
                     if i.status == "scheduled" and i.execution_date >= today)
    if waiting:
        return (f"{h.dossier}: a payment is still to be executed on {waiting[0]}; erase after that day "
                f"/ een betaling staat nog uit")
    return None


def _money_held(h: Household) -> list[str]:
    reserves = sum((v for v in h.reserves.values()), type(h.pot).zero())
    amounts = {"pot": h.pot, "held leefgeld": h.on_hold, "reserves": reserves,
               "buffer owed": h.buffer_outstanding, "claim": h.claim, "released": h.released,
               "deductions pending": getattr(h, "pending_deduction", None)}
    return [f"{name} {amount}" for name, amount in amounts.items() if amount is not None and amount]


def authorise(engine: Engine, actor: str, confirmed_by: str | None, confirmation_required: bool = True,
              team: str | None = None) -> None:
    """The privacy officer erases; a team lead only a household of their own `team`, and
    with a second person's confirmation (where it is required): the privacy officer or a
    team lead of that team. ErasureError naming --actor or --confirmed-by otherwise."""
    from . import users

    account = users.acting(engine, actor)
    if account.role == PRIVACY:
        return
    if account.role != TEAMLEAD:
        raise ErasureError(f"actor: {account.name} is {account.role}; only the privacy officer or a team lead "
                           "erases / alleen de privacyfunctionaris of een teamleider", field="actor")
    if team is not None and account.team != team:
        raise ErasureError(f"actor: {account.name} leads {account.team}, not {team}: a team lead erases only "
                           "households of their own team / alleen huishoudens van het eigen team", field="actor")
    if not confirmation_required:
        return
    if not confirmed_by:
        raise ErasureError("confirmed-by: a team lead erases only with a second person's confirmation "
                           "(--confirmed-by: a team lead or the privacy officer) / tweede persoon nodig",
                           field="confirmed_by")
    try:
        second = users.acting(engine, confirmed_by)
    except DomainError as exc:
        raise ErasureError(str(exc).replace("actor:", "confirmed-by:", 1), field="confirmed_by") from None
    if person(second.name) == person(account.name):
        raise ErasureError("confirmed-by: the confirmation must come from another person "
                           "/ een ander dan wie verwijdert", field="confirmed_by")
    if second.role not in (TEAMLEAD, PRIVACY):
        raise ErasureError(f"confirmed-by: {second.name} is {second.role}; a team lead or the privacy "
                           "officer confirms / een teamleider of de privacyfunctionaris", field="confirmed_by")
    if second.role == TEAMLEAD and team is not None and second.team != team:
        raise ErasureError(f"confirmed-by: {second.name} leads {second.team}, not {team}; a team lead of the "
                           "household's team or the privacy officer confirms / teamleider van het eigen team",
                           field="confirmed_by")


def erase(engine: Engine, dossier: str, *, reason: str, actor: str, confirmed_by: str | None, today: date,
          confirmation_required: bool = True, authorised: bool = False) -> dict[str, Any]:
    """Erase `dossier`'s personal data (see the module). `authorised`: the caller checked
    who erases already (the retention job, which is no person); otherwise `authorise`."""
    if not reason or not reason.strip():
        raise ErasureError("reason: say why the household is erased / geef een reden", field="reason")
    if not authorised:
        authorise(engine, actor, confirmed_by, confirmation_required, team=engine.household(dossier).team)

    def attempt() -> tuple[Household, bool]:
        household = engine.household(dossier)
        if household.erased_on is not None:
            return household, False  # erased before: shredded again (a restored backup's key)
        why = refusal_of(household, today) or unreleased(engine, household)
        if why:
            raise ErasureError(why, field="dossier")
        household.record_erasure(today, reason.strip(), actor, confirmed_by)
        engine.save(household)
        return household, True

    household, first = engine.retrying(attempt)
    for owner in (household.id, notices_id(dossier)):
        engine.keyring.destroy(owner)
    engine.drop_snapshots([household.id, notices_id(dossier)])
    _refresh_read_model(engine, dossier)
    done = {"dossier": dossier, "erased_on": (household.erased_on or today).isoformat(), "reason": reason.strip(),
            "actor": actor, "confirmed_by": confirmed_by, "again": not first}
    for hook in list(_hooks):
        hook(engine, household.id, dossier, done)
    return done


def _refresh_read_model(engine: Engine, dossier: str) -> None:
    from .projections.views import Projections

    Projections(engine).refresh_household(dossier)
