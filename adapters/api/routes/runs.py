"""Staff API: the pay date and its payment files."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from huishoudboekje.access import Principal
from huishoudboekje.domain.access import AUDITOR, JOB
from huishoudboekje.domain.run import Run
from huishoudboekje.reconcile import files_dir

from ..dependencies import Context, context, role
from ..errors import Problem
from ..idempotency import Write, json_answer, writer
from ..models import WRITE_PROBLEMS, PaymentFileOut, RunIn, RunOut, problems

router = APIRouter(prefix="/api/v1")


@router.post("/runs", tags=["runs"], response_model=RunOut,
             summary="Run the pay-date job for every day since the last completed run",
             description="Safe to repeat: a day already completed is not run again.",
             responses=WRITE_PROBLEMS)
def run(body: RunIn | None = None, call: Write = writer(JOB)) -> Response:
    def action() -> Response:
        summary = call.ctx.services.pay((body and body.date) or date.today())
        return json_answer(RunOut(**summary.as_dict()))

    return call.answer(action, "date")


@router.get("/payment-files", tags=["runs"], response_model=list[PaymentFileOut],
            summary="The payment files the runs have written", responses=problems(403))
def payment_files(who: Principal = role(JOB, AUDITOR), ctx: Context = Depends(context)) -> Any:
    return ctx.services.payment_files()


@router.get("/payment-files/{name}", tags=["runs"], response_class=Response,
            summary="Download a payment file (pain.001 XML)",
            responses={200: {"description": "The file", "content": {"application/xml": {}}},
                       **problems(403, 404, 409, 422)})
def payment_file(name: str, who: Principal = role(JOB, AUDITOR), ctx: Context = Depends(context)) -> Response:
    run_ = ctx.engine.get_or_none(Run.create_id())
    record = run_.files.get(name) if run_ else None  # only recorded names: no path from the request
    if record is None:
        raise Problem(404, "Not found", f"no payment file {name}", "name")
    directory = files_dir(ctx.settings.var_dir).resolve()
    path = (directory / record.name).resolve()
    data = path.read_bytes() if path.parent == directory and path.is_file() else None
    if data is None:
        raise Problem(404, "Not found", f"payment file {name} is recorded but not on disk; run again", "name")
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise Problem(409, "Conflict", f"payment file {name} differs from the one recorded; do not send it")
    return Response(data, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{Path(record.name).name}"'})
