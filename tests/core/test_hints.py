"""Every hint speaks its caller's language and names something that exists.

The source is read, not run: each ``Hint(...)`` call's CLI form may only name options of the CLI, its REST form
only request fields or parameters of the OpenAPI schema, its SDK form only arguments of the SDK; and a plain
string hint outside the CLI's own modules may not name a CLI option (REST and SDK callers would read it).
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

import genloop
from genloop.cli.main import app

SRC = Path(genloop.__file__).parent
ROOT = SRC.parent.parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _literal(node: ast.expr) -> str:
    """A string argument's text; an f-string's placeholders read as ``{}``."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return ast.unparse(node)


def _hint_calls() -> Iterator[tuple[str, int, dict[str, str]]]:
    """(file, line, {interface: source text}) of every ``Hint(...)`` call under src/genloop."""
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Hint":
                forms = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
                if forms:
                    yield str(path.relative_to(SRC)), node.lineno, forms


def _plain_hints() -> Iterator[tuple[str, int, str]]:
    """(file, line, text) of every ``hint="..."`` given as a string (not a Hint) outside the CLI modules."""
    for path in sorted(SRC.rglob("*.py")):
        rel = str(path.relative_to(SRC))
        if rel.startswith("cli/") or rel == "errors.py":
            continue
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.keyword) and node.arg == "hint" and isinstance(node.value, (ast.Constant,
                                                                                                 ast.JoinedStr)):
                yield rel, node.value.lineno, _literal(node.value)


def _cli_options() -> set[str]:
    found: set[str] = set()

    def walk(command: Any) -> None:
        for param in getattr(command, "params", []):
            found.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found | {"--help"}


def _rest_names() -> set[str]:
    schema = json.loads((ROOT / "docs" / "openapi.json").read_text())
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            if node.get("in") in ("query", "path", "header") and "name" in node:
                names.add(node["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return names


def _sdk_names() -> set[str]:
    import genloop.client as client_pkg

    names: set[str] = set()
    for module_path in sorted(Path(client_pkg.__file__).parent.glob("*.py")):
        module = __import__(f"genloop.client.{module_path.stem}", fromlist=["_"])
        for _, cls in inspect.getmembers(module, inspect.isclass):
            for _, fn in inspect.getmembers(cls, inspect.isfunction):
                names.update(inspect.signature(fn).parameters)
            if cls.__init__ is not object.__init__:
                names.update(inspect.signature(cls.__init__).parameters)
    return names


def test_every_cli_form_names_an_existing_option() -> None:
    options = _cli_options()
    bad = [f"{f}:{n} {flag}" for f, n, forms in _hint_calls() for flag in FLAG.findall(forms.get("cli", ""))
           if flag not in options]
    assert not bad, f"hints naming CLI options that do not exist: {bad}"


def test_every_rest_form_names_an_existing_field() -> None:
    fields = _rest_names()
    bad = []
    for f, n, forms in _hint_calls():
        for form in (forms.get("rest", ""), forms.get("gateway", "")):
            for name in re.findall(r'(?<!: )"([a-z_][a-z0-9_]*)"', form):  # after ': ' a quoted word is a value
                if name not in fields and name not in ("genloop_variables",):  # the gateway's own extension
                    bad.append(f"{f}:{n} {name!r}")
    assert not bad, f"REST hints naming fields the OpenAPI schema does not have: {bad}"


def test_every_sdk_form_names_an_existing_argument() -> None:
    arguments = _sdk_names()
    bad = [f"{f}:{n} {arg}" for f, n, forms in _hint_calls()
           for arg in re.findall(r"(?<![\w.])([a-z_][a-z0-9_]*)=(?!=)", forms.get("sdk", "")) if arg not in arguments]
    assert not bad, f"SDK hints naming arguments no SDK method takes: {bad}"


def test_no_cli_flag_in_a_hint_that_rest_or_sdk_callers_read() -> None:
    bad = [f"{f}:{n} {text[:70]}" for f, n, text in _plain_hints()
           if FLAG.search(text)]
    assert not bad, ("hints outside the CLI that name CLI options; give them per-interface forms with "
                     f"genloop.errors.Hint(cli=..., sdk=..., rest=...): {bad}")


def test_a_hint_travels_in_each_interface_s_terms() -> None:
    from genloop.errors import InvalidInput, error_from_payload

    error = InvalidInput("x", hint=genloop.errors.Hint(cli="pass --base", sdk="pass base=", rest='send "base"'))
    payload = error.to_payload()
    assert payload["error"]["hint"] == 'send "base"' if "error" in payload else payload["hint"] == 'send "base"'
    again = error_from_payload(payload if "error" in payload else {"error": payload}, 400)
    assert (again.hint_for("cli"), again.hint_for("sdk")) == ("pass --base", "pass base=")
