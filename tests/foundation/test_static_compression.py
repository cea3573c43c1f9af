"""The web app's files are served pre-compressed: the build writes .br and .gz twins (client/vite.config.ts) and
the service picks one by Accept-Encoding, with Vary: Accept-Encoding (issue 14, point 9)."""

from __future__ import annotations

import fcntl
import gzip
import tempfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from sightline.app import create_app
from sightline.config import Settings
from sightline.web import accepted_encodings

SCRIPT = b"console.log('the whole app');" * 100
PAGE = b"<!doctype html><title>Sightline app</title>" + b"<!-- padding -->" * 100
# Stand-ins for the brotli twins (the service never decodes them, it only picks them): recognisable bytes.
SCRIPT_BR = b"BROTLI-SCRIPT"
PAGE_BR = b"BROTLI-PAGE"


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build for the module (no test writes to it)."""
    tmp_path = tmp_path_factory.mktemp("static")
    dist = tmp_path / "client" / "dist"
    (dist / "assets").mkdir(parents=True)
    for path, content, brotli in (
        (dist / "index.html", PAGE, PAGE_BR),
        (dist / "assets" / "index-abc123.js", SCRIPT, SCRIPT_BR),
    ):
        path.write_bytes(content)
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(content))
        path.with_name(path.name + ".br").write_bytes(brotli)
    (dist / "assets" / "plain-def456.js").write_bytes(b"tiny()")  # under the build's 1 KB floor: no twins
    return tmp_path / "client"


@pytest.fixture(scope="module")
def web(client_dir: Path) -> FastAPI:
    """One app for the module's requests: an app's first request builds its whole routing table (a few tenths of a
    second of CPU), which a new app per request paid again every time."""
    return create_app("postgresql://unused@localhost/unused", Settings(client_dir=client_dir))


async def _get(web: FastAPI, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://testserver") as client:
        # httpx would decode gzip itself: ask for the raw bytes to see what the server sent.
        request = client.build_request("GET", path, headers={"Accept-Encoding": "identity", **headers})
        response = await client.send(request, stream=True)
        await response.aread()
        await response.aclose()
        return response


async def test_brotli_is_preferred_when_accepted(web: FastAPI) -> None:
    response = await _get(web, "/assets/index-abc123.js", **{"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "br"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-length"] == str(len(SCRIPT_BR))


async def test_gzip_when_brotli_is_not_accepted(web: FastAPI) -> None:
    response = await _get(web, "/assets/index-abc123.js", **{"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == SCRIPT  # httpx decoded it: valid gzip of the file


@pytest.mark.parametrize("accept", ["identity", "", "br;q=0, gzip;q=0", "deflate", "*;q=0"])
async def test_identity_when_no_offered_coding_is_accepted(web: FastAPI, accept: str) -> None:
    response = await _get(web, "/assets/index-abc123.js", **{"Accept-Encoding": accept})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == SCRIPT


async def test_q_values_and_wildcards_are_honoured(web: FastAPI) -> None:
    refused_br = await _get(web, "/assets/index-abc123.js", **{"Accept-Encoding": "br;q=0, gzip;q=0.5"})
    assert refused_br.headers["content-encoding"] == "gzip"
    wildcard = await _get(web, "/assets/index-abc123.js", **{"Accept-Encoding": "*"})
    assert wildcard.headers["content-encoding"] == "br"
    assert accepted_encodings("gzip;q=0.8, br;q=0, *") == {"gzip", "*"}
    assert accepted_encodings("br;q=oops") == set()  # a malformed weight refuses rather than guesses


async def test_the_page_and_deep_links_are_compressed_too(web: FastAPI) -> None:
    for path in ("/", "/objectives/some-id"):
        response = await _get(web, path, **{"Accept-Encoding": "br"})
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "br"
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        assert response.content == PAGE_BR


async def test_a_file_without_twins_is_sent_as_it_is(web: FastAPI) -> None:
    response = await _get(web, "/assets/plain-def456.js", **{"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in response.headers
    assert response.content == b"tiny()"


async def test_each_coding_has_its_own_etag_and_a_304(web: FastAPI) -> None:
    br = await _get(web, "/assets/index-abc123.js", **{"Accept-Encoding": "br"})
    plain = await _get(web, "/assets/index-abc123.js")
    assert br.headers["etag"] != plain.headers["etag"]
    again = await _get(web, "/assets/index-abc123.js", **{"Accept-Encoding": "br", "If-None-Match": br.headers["etag"]})
    assert again.status_code == 304


async def test_a_twin_asked_for_by_name_is_not_labelled_as_javascript(web: FastAPI) -> None:
    response = await _get(web, "/assets/index-abc123.js.gz", **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.headers["content-type"] == "application/gzip"


def test_the_build_writes_brotli_and_gzip_twins() -> None:
    """When the real client is built (the e2e tests build it), each sizeable script has both twins, and they decode
    to the file (brotli is decoded by the browser in tests/e2e/test_polish_edges.py)."""
    assets = Path(__file__).resolve().parents[2] / "client" / "dist" / "assets"
    # The e2e tests' build lock (tests/e2e/conftest.py): never look at a build half written.
    with (Path(tempfile.gettempdir()) / "sightline-client-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        scripts = [p for p in assets.glob("*.js") if p.stat().st_size >= 1024] if assets.is_dir() else []
        if not scripts:
            pytest.skip("client not built")
        for script in scripts:
            assert script.with_name(script.name + ".br").is_file(), script.name
            gz = script.with_name(script.name + ".gz")
            assert gzip.decompress(gz.read_bytes()) == script.read_bytes(), script.name
