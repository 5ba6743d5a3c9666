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
