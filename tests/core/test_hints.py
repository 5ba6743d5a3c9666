"""Every hint names something that exists, in the terms of the interface it is shown in.

Hints are found in the source (each ``hint=`` argument and each :class:`genloop.errors.Hint` variant,
f-string parts included). A ``genloop GROUP COMMAND`` must be a real command; a ``--flag`` must be an option
of the command the hint names, or of some command when it names none. SDK, REST and gateway phrasings of a
:class:`Hint` must not speak in CLI flags.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from genloop.errors import Hint, InvalidInput, error_from_payload

SRC = Path(__file__).resolve().parents[2] / "src" / "genloop"
_COMMAND = re.compile(r"genloop((?: [a-z][a-z-]+)+)")
_FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def _text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else "X" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return ""


def _hints() -> list[tuple[str, str, str]]:
    """(where, interface, text) for every hint literal in the package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            is_hint = getattr(node.func, "id", getattr(node.func, "attr", "")) == "Hint"
            for kw in node.keywords:
                where = f"{path.relative_to(SRC)}:{node.lineno}"
                if kw.arg == "hint" and not isinstance(kw.value, ast.Call):
                    found.append((where, "cli", _text(kw.value)))  # a plain hint is shown everywhere
                elif is_hint and kw.arg in ("sdk", "cli", "rest", "gateway", "default"):
                    found.append((where, kw.arg, _text(kw.value)))
    return [h for h in found if h[2]]


def _cli_tree() -> dict[str, set[str]]:
    """``"datasets create"`` -> its options, for every command of the real CLI."""
    import typer

    from genloop.cli.main import app

    commands: dict[str, set[str]] = {}

    def walk(command: Any, path: str) -> None:
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        commands[path.strip()] = options
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "")
    return commands


def test_every_hint_names_a_real_command_and_option() -> None:
    commands = _cli_tree()
    all_options = set().union(*commands.values())
    problems = []
    hints = _hints()
    assert len(hints) > 50
    for where, interface, text in hints:
        named = None
        for match in _COMMAND.finditer(text):
            words = match.group(1).split()
            while words and " ".join(words) not in commands:  # drop trailing arguments (NAME, FILE ...)
                words.pop()
            if not words:
                problems.append(f"{where}: no command 'genloop{match.group(1)}'")
            named = named or " ".join(words)
        for flag in _FLAG.findall(text):
            if flag == "--help":
                continue
            if interface in ("sdk", "rest", "gateway"):
                problems.append(f"{where}: the {interface} hint speaks in the CLI flag {flag}")
            elif named and flag not in commands[named]:
                problems.append(f"{where}: 'genloop {named}' has no option {flag}")
            elif not named and flag not in all_options:
                problems.append(f"{where}: no CLI command has the option {flag}")
    assert not problems, "\n".join(problems)


def test_a_hint_speaks_each_interface() -> None:
    hint = Hint(cli="pass --var input=...", sdk="pass variables={'input': ...}", rest='send "variables"')
    error = InvalidInput("prompt 'p@1' needs variable 'input'", hint=hint)
    assert str(error) == "prompt 'p@1' needs variable 'input'; pass variables={'input': ...}"
    assert error.text_for("cli").endswith("pass --var input=...")
    assert error.to_payload()["error"]["hint"] == 'send "variables"'
    assert error.hint_for("gateway") == "pass variables={'input': ...}"  # no gateway phrasing: the SDK's
    assert str(error_from_payload(error.to_payload(), 400)) == str(error)  # the remote SDK says the same
    with pytest.raises(ValueError):
        Hint(web="x")


def test_missing_variables_are_explained_per_interface(store: Any, cli: Any) -> None:
    """The CLI says --var, the SDK variables=, the gateway genloop_variables (through the OpenAI client)."""
    from genloop.prompts import PromptService

    prompts = PromptService(store)
    prompts.create("geo", messages=[{"role": "user", "content": "{{ input }}"}], model="mock:echo")
    with pytest.raises(InvalidInput) as caught:
        prompts.render("geo@1", {})
    assert caught.value.hint == "pass variables={'input': ...}"
    shown = cli("prompts", "render", "geo@1")
    assert shown.code == 1 and shown.err.strip().endswith("pass --var input=...")
    from genloop.gateway._errors import from_genloop_error

    assert "genloop_variables" in from_genloop_error(caught.value).message
