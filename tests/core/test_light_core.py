"""The core install stays light: the heavy extras are optional dependencies and nothing imports them until
a feature needs them (the SDK, the CLI and the REST app load without torch, transformers, datasets or ray)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "peft", "trl", "accelerate", "datasets", "ray", "s3fs", "psycopg")

PROBE = """
import sys, tempfile
import genloop, genloop.cli.main, genloop.server
from genloop import Client
from genloop.settings import Settings
from genloop.store import Store
home = tempfile.mkdtemp()
with Client(store=Store(Settings(home=home))) as client:
    client.datasets.create("d", [{"prompt": "p", "completion": "c"}], kind="completion")
    client.prompts.create("p", template="{{ x }}")
    client.models.register("m", kind="provider", uri="openai:gpt-4o-mini")
genloop.server.create_app(Store(Settings(home=home)))
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[1:])))
"""


def test_heavy_extras_are_optional_and_not_imported() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {dep.split("[")[0].split(">")[0].split("=")[0].strip().lower() for dep in project["dependencies"]}
    assert not core & set(HEAVY), core & set(HEAVY)
    assert {"postgres", "s3", "train", "ray", "dev"} <= set(project["optional-dependencies"])

    result = subprocess.run([sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported by the core: {result.stdout.strip()}"
