"""Staff API: a participant's consent, the access log, and a participant's own data."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from huishoudboekje import consent as consent_service
from huishoudboekje.access import Principal
from huishoudboekje.domain.access import AUDITOR
from huishoudboekje.domain.consent import WAYS
from huishoudboekje.subject_access import subject_access as gather

from ..dependencies import READERS, TEAM, Context, check_own, context, role, visible
from ..errors import domain_errors
from ..idempotency import Write, json_answer, writer
from ..models import READ_PROBLEMS, WRITE_PROBLEMS, BusinessDate, ConsentOut, DossierPath, In, problems

router = APIRouter(prefix="/api/v1")


class ConsentIn(In):
    on: BusinessDate = Field(description="The day the participant agreed (or withdrew)")
    way: Literal[WAYS] | None = Field(  # type: ignore[valid-type]
        default=None, description="How they agreed; leave it out with `withdrawn`")
    withdrawn: bool = Field(default=False, description="The participant withdrew their consent: participation "
                                                       "ends that day (reason stopped-by-participant)")

    @model_validator(mode="after")
    def _one_of_them(self) -> ConsentIn:
        if self.withdrawn == (self.way is not None):
            raise ValueError("give `way` for a consent, or `withdrawn: true` for its withdrawal (not both)")
        return self


class ConsentAnswer(BaseModel):
    dossier: str
    consent: ConsentOut | None
    end: str | None = Field(default=None, description="Withdrawal: the last day of participation")
    reason: str | None = None
    settlement_date: str | None = Field(default=None, description="Withdrawal: the day the final settlement "
                                                                  "pays out what the household holds")


class AccessLogEntry(BaseModel):
    at: str = Field(description="When (UTC)")
    actor: str
    dossier: str
    action: str = Field(description="The command or request")


@router.post("/households/{dossier:path}/consent", tags=["privacy"], response_model=ConsentAnswer,
             summary="Record the participant's consent to take part, or its withdrawal (which ends the participation)",
             responses=WRITE_PROBLEMS)
def record_consent(dossier: DossierPath, body: ConsentIn, call: Write = writer(*TEAM)) -> Response:
    def action() -> Response:
        check_own(call.ctx, call.who, dossier)
        engine = call.ctx.engine
        if body.withdrawn:
            result = consent_service.withdraw(engine, dossier, body.on, call.actor)
        else:
            result = consent_service.record(engine, dossier, body.on, body.way or "", call.actor)
        return json_answer(ConsentAnswer(**result))

    return call.answer(action, "on")


@router.get("/households/{dossier:path}/subject-access", tags=["privacy"], response_model=dict[str, Any],
            summary="Everything the engine holds about a household: the answer to the participant's request "
                    "for access (as `hhb subject-access --format json`)", responses=READ_PROBLEMS)
def subject_access(dossier: DossierPath, who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    visible(ctx, who, dossier)  # logs this read
    entries = [e.as_dict() for e in ctx.services.access_log.entries(dossier)]
    with domain_errors():
        return gather(ctx.engine, dossier, ctx.services.local_now().date(), entries)


@router.get("/access-log", tags=["privacy"], response_model=list[AccessLogEntry],
            summary="Auditor: who read which household's data, when and through what", responses=problems(403, 422))
def access_log(dossier: Annotated[str | None, Query(max_length=40)] = None,
               actor: Annotated[str | None, Query(max_length=200)] = None,
               since: Annotated[date | None, Query(description="From this day on (UTC)")] = None,
               who: Principal = role(AUDITOR), ctx: Context = Depends(context)) -> Any:
    start = datetime.combine(since, time(), timezone.utc) if since else None
    return [e.as_dict() for e in ctx.services.access_log.entries(dossier, actor, start)]
