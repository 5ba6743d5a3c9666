"""`genloop prompts ...` through the real entry point, on the local store and against a server."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_cli_flow(cli, support_yaml: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("prompts", "create", "support", "--file", support_yaml, "--message", "first")
    assert result.code == 0, result.err
    assert result.out.startswith("created support@1 (sha256:")
    assert cli("prompts", "create", "support", "-f", support_yaml).out.startswith("unchanged: support@1")

    shown = cli("prompts", "show", "support@1")
    assert shown.code == 0 and shown.out.startswith("# support@1  sha256:")
    edited = tmp_path / "edited.yaml"
    edited.write_text(shown.out.replace("temperature: 0.2", "temperature: 0.7"))  # show's output is a prompt.yaml
    assert cli("prompts", "create", "support", "-f", edited, "-m", "warmer").out.startswith("created support@2")

    assert cli("prompts", "label", "support@1", "production").out.strip() == "production -> support@1"
    listed = cli("prompts", "list", "--json").json()
    assert listed["items"][0]["name"] == "support" and listed["items"][0]["labels"] == {"production": 1}
    assert "support" in cli("prompts", "list").out
    versions = cli("prompts", "versions", "support")
    assert versions.code == 0 and "warmer" in versions.out
    assert cli("prompts", "show", "support@production", "--json").json()["version"] == 1

    vars_file = tmp_path / "vars.yaml"
    vars_file.write_text("product: Acme\nquestion: from the file\n")
    rendered = cli("prompts", "render", "support@production", "--vars-file", vars_file, "--var", "question=Where?")
    assert rendered.code == 0
    assert rendered.out == "[system]\nYou are a support agent for Acme.\n\n[user]\nCustomer question:\nWhere?\n\n"
    as_json = cli("prompts", "render", "support", "--var", "product=A", "--var", "question=B", "--json").json()
    assert as_json["ref"] == "support@2" and as_json["params"]["temperature"] == 0.7

    diff = cli("prompts", "diff", "support@1", "support@2")
    assert "-  temperature: 0.2" in diff.out and "+  temperature: 0.7" in diff.out
    assert cli("prompts", "diff", "support@1", "support@1").out.strip() == "support@1 and support@1 have the same content"
    assert cli("prompts", "diff", "support@1", "support@2", "--json").json()["changes"][0]["field"] == "params.temperature"

    assert cli("prompts", "unlabel", "support", "production").code == 0
    assert cli("prompts", "list", "--json").json()["items"][0]["labels"] == {}


def test_cli_errors_exit_non_zero_with_one_line(cli, support_yaml: Path, write_yaml) -> None:  # type: ignore[no-untyped-def]
    assert cli("prompts", "create", "support", "-f", support_yaml).code == 0
    assert cli("prompts", "label", "support@1", "production").code == 0
    bad = write_yaml("template: '{{ a }}'\nvariables: [a, b]\n", "bad.yaml")
    cases = [
        (("prompts", "create", "support", "-f", bad), f"error: {bad}:2: variables: declared variable 'b' not used"),
        (("prompts", "show", "support@4"), "error: prompt 'support' has no version 4 (latest is 1); use support@1"),
        (("prompts", "label", "support@9", "production"), "error: prompt 'support' has no version 9"),
        (("prompts", "render", "support@staging"), "error: prompt 'support' has no label 'staging'; known labels: "
                                                   "production"),
        (("prompts", "render", "support", "--var", "product=x"), "error: prompt 'support@1' needs variable "
                                                                 "'question'; pass --var question=..."),
        (("prompts", "render", "support", "--var", "oops"), "error: --var expects KEY=VALUE, got 'oops'"),
        (("prompts", "unlabel", "support", "staging"), "error: prompt 'support' has no label 'staging'"),
        (("prompts", "versions", "ghost"), "error: prompt 'ghost' does not exist in project 'default'"),
    ]
    for args, expected in cases:
        result = cli(*args)
        assert result.code == 1, (args, result.out)
        assert result.err.startswith(expected), (args, result.err)
        assert result.err.count("\n") == 1
    assert [v["version"] for v in cli("prompts", "versions", "support", "--json").json()["items"]] == [1]
    assert cli("prompts", "show", "support@production", "--json").json()["version"] == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cli_against_a_server(cli, server, support_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GENLOOP_SERVER_URL", server.url)
    assert cli("prompts", "create", "support", "-f", support_yaml, "-p", "team").out.startswith("created support@1")
    assert cli("prompts", "show", "support", "-p", "team", "--json").json()["created_by"] == "tester"
    result = cli("prompts", "show", "support@3", "-p", "team")
    assert result.code == 1 and result.err.startswith("error: prompt 'support' has no version 3 (latest is 1)")
    assert cli("prompts", "list", "--json").json()["items"] == []  # another project
