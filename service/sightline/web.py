"""The web app: serve the built client (client/dist) at `/` on the API's origin, and build it once when missing.

The single-page app is served by the router's *fallback*: only requests that match no API route reach it, so every
API behaviour (404/405 problems, /healthz, /metrics, /api/docs) stays exactly as it is without the client.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import subprocess
from os import PathLike
from pathlib import Path

import structlog
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Receive, Scope, Send

log = structlog.get_logger("sightline.web")

# service/sightline/web.py → the repository (or image) root holds client/.
DEFAULT_CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"
BUILD_HELP = "npm ci --prefix client && npm run build --prefix client"
# Vite names every file under assets/ by its content hash: a changed file is a new URL, so cache it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# index.html names the current hashed assets: always revalidate it.
NO_CACHE = "no-cache"
NON_APP_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")
# No file of the app and no deep link into it comes near these: longer is a 404 without asking the file
# system (a name over its limit raises ENAMETOOLONG, which must not become a 500).
MAX_NAME_CHARS, MAX_PATH_CHARS = 255, 1024


# The build writes name.br and name.gz next to every compressible file (client/vite.config.ts); brotli first.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The content codings an Accept-Encoding header allows (RFC 9110 section 12.5.3): q=0 refuses one."""
    accepted: set[str] = set()
    refused: set[str] = set()
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip()
        if not coding:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        (accepted if quality > 0 else refused).add(coding)
    if "*" in accepted:
        accepted |= {coding for coding, _ in ENCODINGS} - refused
    return accepted - refused


def encoded_file_response(path: Path, scope: Scope, *, cache_control: str) -> Response:
    """The file, or its pre-compressed twin in the best coding the request accepts; Vary says the choice was made."""
    accepted = accepted_encodings(Headers(scope=scope).get("accept-encoding", ""))
    media_type, wrapped = mimetypes.guess_type(path.name)
    if wrapped is not None or media_type is None:  # a .gz or .br asked for by name is sent as the bytes it is
        media_type = "application/gzip" if wrapped == "gzip" else "application/octet-stream"
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    for coding, suffix in ENCODINGS:
        twin = path.with_name(path.name + suffix)
        if coding in accepted and twin.is_file():
            headers["Content-Encoding"] = coding
            path = twin
            break
    # The stat now: the ETag (size and time of the file sent) differs per coding, and a 304 can be answered.
    response = FileResponse(path, media_type=media_type, headers=headers, stat_result=path.stat())
    if _NOT_MODIFIED.is_not_modified(response.headers, Headers(scope=scope)):
        return NotModifiedResponse(response.headers)
    return response


_NOT_MODIFIED = StaticFiles(directory=".", check_dir=False)  # only for its If-None-Match / If-Modified-Since check


class HashedAssets(StaticFiles):
    """Vite's content-hashed assets/ folder: cached for a year, served pre-compressed when the browser accepts it."""

    def file_response(
        self, full_path: str | PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        return encoded_file_response(Path(full_path), scope, cache_control=IMMUTABLE)


def _not_built_page() -> HTMLResponse:
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Sightline</title></head>"
        "<body style='font-family:sans-serif;max-width:40rem;margin:4rem auto'>"
        "<h1>Sightline is running, but the web app is not built</h1>"
        f"<p>Build it with Node 20.19 or later: <code>{BUILD_HELP}</code>, then reload this page "
        "(or restart <code>sightline serve</code>, which builds it when <code>npm</code> is available).</p>"
        "<p>The API is available under <code>/api/v1</code> (<a href='/api/docs'>documentation</a>).</p>"
        "</body></html>"
    )
    return HTMLResponse(body, status_code=503, headers={"Cache-Control": NO_CACHE})


def install_client(app: FastAPI, client_dir: Path = DEFAULT_CLIENT_DIR) -> None:
    """Serve client_dir/dist: hashed assets with long caching, other files as they are, deep links → index.html."""
    dist = client_dir / "dist"
    if (dist / "assets").is_dir():
        app.mount("/assets", HashedAssets(directory=dist / "assets"), name="client-assets")
    api_fallback = app.router.default

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")
        is_app_request = (
            scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not path.startswith(NON_APP_PREFIXES)
        )
        if not is_app_request:
            await api_fallback(scope, receive, send)
            return
        index = dist / "index.html"
        if not index.is_file():
            await _not_built_page()(scope, receive, send)
            return
        response: Response
        candidate = _file_in(dist, path)
        if candidate is not None:
            response = encoded_file_response(candidate, scope, cache_control="public, max-age=3600")
        elif path.startswith("/assets/"):
            # A hashed asset that no longer exists: a 404, never index.html served as JavaScript.
            raise StarletteHTTPException(status_code=404)
        else:
            response = encoded_file_response(index, scope, cache_control=NO_CACHE)
        await response(scope, receive, send)

    app.router.default = fallback


def _file_in(dist: Path, path: str) -> Path | None:
    """The file of dist/ the path names, None for a deep link of the app; 404 for what can be neither."""
    if len(path) > MAX_PATH_CHARS or any(len(name) > MAX_NAME_CHARS for name in path.split("/")):
        raise StarletteHTTPException(status_code=404)
    if path == "/":
        return None
    try:
        candidate = (dist / path.lstrip("/")).resolve()
        found = candidate.is_file() and candidate.is_relative_to(dist.resolve())
    except OSError as exc:  # e.g. a name too long in bytes (non-ASCII) for the file system
        raise StarletteHTTPException(status_code=404) from exc
    return candidate if found else None


def ensure_built(client_dir: Path = DEFAULT_CLIENT_DIR) -> bool:
    """Build the client once when dist/ is missing and npm is available; say how to build it otherwise.

    Returns whether a built client is there afterwards. Never raises: the API is served either way.
    """
    if (client_dir / "dist" / "index.html").is_file():
        return True
    if not (client_dir / "package.json").is_file():
        log.warning("web app not found", client_dir=str(client_dir), hint="serving the API only")
        return False
    npm = shutil.which("npm")
    if npm is None:
        log.warning(
            "web app not built and npm not found: serving the API only",
            hint=f"install Node 20.19+ and run: {BUILD_HELP}",
        )
        return False
    steps = ([[npm, "ci"]] if not (client_dir / "node_modules").is_dir() else []) + [[npm, "run", "build"]]
    for step in steps:
        log.warning("building the web app (first start)", command=" ".join(step[1:]), cwd=str(client_dir))
        try:
            completed = subprocess.run(step, cwd=client_dir, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("web app build failed: serving the API only", error=str(exc), hint=BUILD_HELP)
            return False
        if completed.returncode != 0:
            log.error(
                "web app build failed: serving the API only",
                command=" ".join(step[1:]),
                output=(completed.stdout + completed.stderr)[-4000:],
                hint=BUILD_HELP,
            )
            return False
    log.warning("web app built", dist=str(client_dir / "dist"))
    return True
