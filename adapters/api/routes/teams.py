"""Staff API: the registered teams."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from huishoudboekje.access import Principal

from ..dependencies import READERS, Context, context, role
from ..models import TeamOut, problems

router = APIRouter(prefix="/api/v1")


@router.get("/teams", tags=["teams"], response_model=list[TeamOut],
            summary="The registered teams (hhb teams), with how participants reach them",
            responses=problems(403))
def list_teams(who: Principal = role(*READERS), ctx: Context = Depends(context)) -> Any:
    return ctx.services.teams()
