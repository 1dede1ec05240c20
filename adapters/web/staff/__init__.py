"""The staff web app under /medewerker/ (issue 21): sign-in with password and TOTP,
werkvoorraad, huishoudens, signalen, betaalbestanden, rapportage. Server-rendered, no JavaScript needed, Dutch by
default (?lang=en for English)."""

from fastapi import APIRouter

from . import agreements, auth, creditors, links, oidc, onboard, overview, pages, payments, reports, statements

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(oidc.router)
router.include_router(onboard.router)  # before pages: /huishoudens/nieuw is no dossier
router.include_router(creditors.router)
router.include_router(pages.router)
router.include_router(agreements.router)
router.include_router(links.router)
router.include_router(overview.router)
router.include_router(statements.router)
router.include_router(payments.router)
router.include_router(reports.router)
