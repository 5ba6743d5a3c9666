"""Write the REST API's OpenAPI document to docs/openapi.json (tests/server/test_openapi.py checks it).

Usage: python tools/export_openapi.py
"""

import json
import sys
import tempfile
from pathlib import Path

from genloop.server import create_app
from genloop.settings import Settings
from genloop.store import Store

TARGET = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def render() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Settings(home=Path(tmp)))
        try:
            spec = create_app(store).openapi()
        finally:
            store.close()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}", file=sys.stderr)
