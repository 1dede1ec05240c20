"""The API's /docs page, working offline: Swagger UI's assets are served by us from the
pinned `swagger-ui-py` package (Swagger UI 5, which reads OpenAPI 3.1 as FastAPI writes
it), not loaded from a CDN.

FastAPI's own /docs (and /redoc) fetch their script and style from cdn.jsdelivr.net at
run time; an office network without the internet, or one that blocks CDNs, would show an
empty page. The app is made with `docs_url=None, redoc_url=None` and this router serves
/docs with `get_swagger_ui_html` pointing at `/docs/assets/…`, only the files named here.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
import swagger_ui

router = APIRouter(include_in_schema=False)
ASSETS = Path(swagger_ui.__file__).resolve().parent / "static"
PREFIX = "/docs/assets"
TYPES = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
         "favicon-32x32.png": "image/png"}


@router.get("/docs")
def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="huishoudboekje – API",
                               oauth2_redirect_url="/docs/oauth2-redirect",
                               swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                               swagger_css_url=f"{PREFIX}/swagger-ui.css",
                               swagger_favicon_url=f"{PREFIX}/favicon-32x32.png")


@router.get("/docs/oauth2-redirect")
def oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(PREFIX + "/{name}")
def asset(name: str) -> Response:
    if name not in TYPES:  # only these files: no path from the request
        return Response(status_code=404)
    response = Response((ASSETS / name).read_bytes(), media_type=TYPES[name])
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
