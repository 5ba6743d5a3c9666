"""Invariants: the public API is exported, and every setting is documented in the README."""

from pathlib import Path

import genloop
from genloop.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_complete_and_importable() -> None:
    public = {name for name in vars(genloop) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(genloop, name)).__name__ == "module"}
    assert set(genloop.__all__) == public - modules - {"annotations"}
    for name in genloop.__all__:
        assert getattr(genloop, name) is not None


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"GENLOOP_{name.upper()}" in readme, f"GENLOOP_{name.upper()} is not in README.md"
        assert field.description, f"setting {name} has no description"


def test_readme_tables_are_current() -> None:
    """The settings table and CLI reference in README.md are generated; regenerate when they drift."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "tools" / "update_readme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "README.md").read_text()
    assert module.render(text) == text, "README tables are stale: run `python tools/update_readme.py`"
