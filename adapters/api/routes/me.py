"""Staff API's participant part: a participant reads their own household under /me."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from huishoudboekje.access import Principal
from huishoudboekje.domain.access import PARTICIPANT

from ..dependencies import Context, context, hidden, role
from ..models import MONTH, BusinessDate, LeftOut, problems
from .households import overview_of

router = APIRouter(prefix="/api/v1")


@router.get("/me/left", tags=["participant"], response_model=LeftOut,
            summary="Participant: what's left this cycle for my own household",
            responses=problems(403, 404, 422))
def my_left(day: Annotated[BusinessDate | None, Query(alias="date")] = None,
            who: Principal = role(PARTICIPANT), ctx: Context = Depends(context)) -> Any:
    household = ctx.views.household(who.dossier or "")
    if household is None:
        raise hidden(who.dossier or "")
    return ctx.services.left(household, day)


@router.get("/me/overview", tags=["participant"], response_class=HTMLResponse,
            summary="Participant: my monthly overview (HTML)",
            responses={200: {"description": "The overview page", "content": {"text/html": {}}},
                       **problems(403, 404, 422)})
def my_overview(month: Annotated[str, Query(pattern=MONTH, examples=["2026-12"])],
                who: Principal = role(PARTICIPANT), ctx: Context = Depends(context)) -> HTMLResponse:
    return overview_of(ctx, who.dossier or "", month)
