"""The interactive API docs at /api/docs: Swagger UI served by the service itself, never from a CDN.

The assets come from a pinned package (fastapi-offline, which bundles Swagger UI's built files); the page has
no inline script (its start-up code is a file here), so the docs' Content-Security-Policy needs nothing beyond
'self' (http/security_headers.py: DOCS_POLICY).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/api/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"


class _Assets(StaticFiles):
    """Swagger UI's files change only with the pinned package: a day in caches is plenty."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def _page(title: str) -> str:
    return (
        "<!doctype html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{title} – interactive documentation</title>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<link rel='stylesheet' href='{ASSETS_PATH}/swagger-ui.css'>\n"
        f"<link rel='icon' href='{ASSETS_PATH}/favicon.png'>\n"
        "</head>\n<body>\n<div id='swagger-ui'></div>\n"
        f"<script src='{ASSETS_PATH}/swagger-ui-bundle.js'></script>\n"
        f"<script src='{DOCS_PATH}/start.js'></script>\n"
        "</body>\n</html>\n"
    )


def _start_script(openapi_url: str) -> str:
    # validatorUrl null: Swagger UI would otherwise send the document to an outside validator service.
    return (
        "window.ui = SwaggerUIBundle({\n"
        f"  url: {openapi_url!r},\n"
        "  dom_id: '#swagger-ui',\n"
        "  layout: 'BaseLayout',\n"
        "  deepLinking: true,\n"
        "  showExtensions: true,\n"
        "  showCommonExtensions: true,\n"
        "  validatorUrl: null,\n"
        "  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],\n"
        "});\n"
    )


def install_docs(app: FastAPI) -> None:
    """The page, its start-up script and Swagger UI's files (create the app with docs_url=None)."""
    page = _page(app.title)
    script = _start_script(app.openapi_url or "/openapi.json")
    app.mount(ASSETS_PATH, _Assets(directory=SWAGGER_ASSETS), name="api-docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    @app.get(f"{DOCS_PATH}/start.js", include_in_schema=False)
    async def docs_start() -> Response:
        return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
