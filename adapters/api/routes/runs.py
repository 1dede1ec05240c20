"""Staff API: the pay date and its payment files."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path as PathParam, Query
from fastapi.responses import Response

from huishoudboekje.access import Principal
from huishoudboekje.domain.access import AUDITOR, FINANCE, JOB
from huishoudboekje.domain.payment_files import RELEASED, payment_file_id
from huishoudboekje.domain.run import Run
from huishoudboekje.reconcile import files_dir

from ..dependencies import Context, context, role
from ..errors import Problem, domain_errors
from ..idempotency import Write, json_answer, writer
from ..models import (WRITE_PROBLEMS, FileState, HoldIn, PaymentFileDecision, PaymentFileOut, PaymentFileReview,
                      RunIn, RunOut, problems)

FileName = Annotated[str, PathParam(description="The payment file's name",
                                    examples=["pain001-NL39BNGH0285009999-HHB2026120101.xml"])]
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
            summary="The payment files the runs have written, with their review's state", responses=problems(403))
def payment_files(state: Annotated[list[FileState] | None, Query(description="Only files in these states")] = None,
                  who: Principal = role(JOB, AUDITOR, FINANCE), ctx: Context = Depends(context)) -> Any:
    return ctx.services.payment_files(tuple(state or ()))


@router.get("/payment-files/{name}", tags=["runs"], response_class=Response,
            summary="Download a payment file (pain.001 XML)",
            description="The job (a bank connection) gets a file once a person released it; finance and "
                        "auditors read any.",
            responses={200: {"description": "The file", "content": {"application/xml": {}}},
                       **problems(403, 404, 409, 422)})
def payment_file(name: FileName, who: Principal = role(JOB, AUDITOR, FINANCE),
                 ctx: Context = Depends(context)) -> Response:
    run_ = ctx.engine.get_or_none(Run.create_id())
    review = ctx.engine.get_or_none(payment_file_id(name))  # the job's files, and maatwerk's
    record = review.record if review is not None else run_.files.get(name) if run_ else None
    if record is None:  # only recorded names: no path from the request
        raise Problem(404, "Not found", f"no payment file {name}", "name")
    if who.role == JOB and review is not None and review.state != RELEASED:
        raise Problem(409, "Conflict", f"payment file {name} is {review.state}: a person with the role finance "
                      "releases it first (four eyes)", "name")
    directory = files_dir(ctx.settings.var_dir).resolve()
    path = (directory / record.name).resolve()
    data = path.read_bytes() if path.parent == directory and path.is_file() else None
    if data is None:
        raise Problem(404, "Not found", f"payment file {name} is recorded but not on disk; run again", "name")
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise Problem(409, "Conflict", f"payment file {name} differs from the one recorded; do not send it")
    return Response(data, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{Path(record.name).name}"'})


@router.get("/payment-files/{name}/review", tags=["runs"], response_model=PaymentFileReview,
            summary="A payment file as its reviewer reads it: payments by creditor, what is unusual flagged",
            responses=problems(403, 404))
def review(name: FileName, who: Principal = role(FINANCE, AUDITOR), ctx: Context = Depends(context)) -> Any:
    with domain_errors("name", "name"):
        return ctx.services.payment_file(name)


@router.post("/payment-files/{name}/release", tags=["runs"], response_model=PaymentFileDecision,
             summary="Release a pending or held payment file to the bank (four eyes)",
             description="By a person with the role finance who did not change a household the file pays "
                         "that day; the file's bytes must be those recorded, and the account must cover it. "
                         "Only then is it put in the outbox (HHB_OUTBOX_DIR).",
             responses=WRITE_PROBLEMS)
def release(name: FileName, call: Write = writer(FINANCE)) -> Response:
    def action() -> Response:
        return json_answer(PaymentFileDecision(**call.ctx.services.release_payment_file(name, call.actor)))

    return call.answer(action, "name", missing="name")


@router.post("/payment-files/{name}/hold", tags=["runs"], response_model=PaymentFileDecision,
             summary="Keep a pending payment file from the bank, with the reason",
             responses=WRITE_PROBLEMS)
def hold(name: FileName, body: HoldIn, call: Write = writer(FINANCE)) -> Response:
    def action() -> Response:
        return json_answer(PaymentFileDecision(**call.ctx.services.hold_payment_file(name, call.actor, body.reason)))

    return call.answer(action, "name", missing="name")
