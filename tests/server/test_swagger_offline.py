"""/api/v1/docs works offline: Swagger UI's files come from the package, checked against VENDOR.json."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import httpx

import genloop.server

VENDOR = Path(genloop.server.__file__).parent / "static" / "swagger"


def test_the_vendored_files_match_their_manifest() -> None:
    manifest = json.loads((VENDOR / "VENDOR.json").read_text())
    assert manifest["package"] == "swagger-ui-dist" and manifest["licence"] == "Apache-2.0"
    for name, digest in manifest["files"].items():
        assert "sha256:" + hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "LICENSE" in manifest["files"]


def test_docs_load_only_local_assets(store: Any) -> None:
    from genloop.server import BackgroundServer, create_app

    with BackgroundServer(create_app(store)) as srv, httpx.Client(base_url=srv.url, timeout=120) as http:
        page = http.get("/api/v1/docs")
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text) + re.findall(r"url: ?'([^']+)'", page.text)
        assert urls and not [u for u in urls if "://" in u], urls  # nothing from a CDN
        for url in urls:
            assert http.get(url).status_code == 200, url
        assert http.get("/api/v1/docs/assets/swagger-ui-bundle.js").content == (
            VENDOR / "swagger-ui-bundle.js").read_bytes()
