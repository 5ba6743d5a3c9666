"""Regenerate the README's settings table and CLI reference from the code.

Usage: python tools/update_readme.py   (tests/core/test_public_api.py checks the README is current)
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def settings_table() -> str:
    from genloop.settings import Settings

    lines = ["| variable | default | what |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "" if default is None else f"`{default}`"
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `GENLOOP_{name.upper()}` | {shown} | {description} |")
    return "\n".join(lines)


def cli_reference() -> str:
    import typer.main

    from genloop.cli.main import app

    root = typer.main.get_command(app)
    lines = ["| command | what it does |", "| --- | --- |"]

    def walk(command, prefix: str) -> None:  # type: ignore[no-untyped-def]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name in sorted(subcommands):
                walk(subcommands[name], f"{prefix} {name}")
            return
        params = " ".join((p.name or "").upper() for p in command.params if p.param_type_name == "argument")
        help_text = (command.help or "").strip().splitlines()[0] if command.help else ""
        lines.append(f"| `{prefix}{(' ' + params) if params else ''}` | {help_text.replace('|', '/')} |")

    walk(root, "genloop")
    return "\n".join(lines)


def render(text: str) -> str:
    for marker, body in (("settings", settings_table()), ("cli", cli_reference())):
        pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md lacks the <!-- {marker}:start/end --> markers")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text()))
    print(f"updated {README}")
