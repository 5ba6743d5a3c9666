"""What the CLI prints into a file, a pipe or a CI log: full lines (no wrapping at 80 columns), and --version."""

from __future__ import annotations

import os
import subprocess
import sys


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def test_output_without_a_terminal_is_not_wrapped() -> None:
    """A long line (a copyable curl command, a wide table) stays one line when stdout is a pipe."""
    code = ("from genloop.cli._common import console, print_table\n"
            "console.print('  $ curl -s http://127.0.0.1:8000/v1/chat/completions ' + '-d x' * 60, highlight=False)\n"
            "print_table([{'name': 'n' * 120, 'description': 'd' * 120}], ['name', 'description'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith("  $ curl") and lines[0].endswith("-d x") and len(lines[0]) > 200
    assert any("n" * 120 in line and "d" * 120 in line for line in lines), out


def test_version_flag() -> None:
    from genloop import __version__

    for args in (["--version"], ["version"]):
        done = subprocess.run([sys.executable, "-m", "genloop.cli.main", *args], capture_output=True, text=True,
                              env=_env())
        assert (done.returncode, done.stdout.strip()) == (0, __version__), done.stderr


def test_lineage_lists_the_input_traces() -> None:
    from rich.console import Console

    from genloop.cli.lineage import lineage_tree
    from genloop.runs import LineageNode

    node = LineageNode(entity_type="dataset", name="sft", version=1, ref="dataset:sft@1",
                       input_traces=[str(i) * 32 for i in range(7)], input_trace_count=7)
    console = Console(width=200, record=True, file=__import__("io").StringIO())
    console.print(lineage_tree(node))
    text = console.export_text()
    assert "input: 7 traces" in text and "000000000000, 111111111111" in text and "(2 more)" in text
