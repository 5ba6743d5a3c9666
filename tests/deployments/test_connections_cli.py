"""`genloop connections` on the server's store: create (secret from a variable or stdin), list, show, delete;
deployments name a connection with connection=NAME; api_key_env is refused with the way forward."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from genloop.connections import ConnectionService


def test_cli_connections_and_deployments_naming_them(sqlite_env) -> None:  # type: ignore[no-untyped-def]
    from genloop.cli.main import app

    runner = CliRunner()
    made = runner.invoke(app, ["connections", "create", "gpu-box", "--provider", "openai",
                               "--base-url", "http://gpu-box:8000/v1", "--secret-env", "GPU_BOX_KEY"])
    assert made.exit_code == 0, made.output
    stored = runner.invoke(app, ["connections", "create", "vault", "--provider", "anthropic", "--secret-stdin",
                                 "--json"], input="sk-ant-secret\n")
    assert stored.exit_code == 0, stored.output
    assert json.loads(stored.output)["has_secret"] is True and "sk-ant-secret" not in stored.output
    assert json.loads(stored.output)["base_url"] == "https://api.anthropic.com/v1"
    assert ConnectionService.resolve_all(sqlite_env)["vault"].api_key == "sk-ant-secret"
    listed = runner.invoke(app, ["connections", "list", "--json"])
    assert [c["name"] for c in json.loads(listed.output)["items"]] == ["gpu-box", "vault"]
    assert "sk-ant-secret" not in listed.output
    again = runner.invoke(app, ["connections", "create", "vault", "--provider", "openai"])
    assert again.exit_code == 1 and "already exists" in str(again.exception) and "--replace" in again.exception.hint.for_interface("cli")
    deployed = runner.invoke(app, ["deployments", "create", "bot", "--variant",
                                   "model=openai:llama,connection=gpu-box", "--json"])
    assert deployed.exit_code == 0 and '"connection": "gpu-box"' in deployed.output
    refused = runner.invoke(app, ["deployments", "create", "leak", "--variant",
                                  "model=openai:x,base_url=http://evil/v1,api_key_env=OPENAI_API_KEY"])
    assert refused.exit_code == 1 and "api_key_env" in str(refused.exception)
    assert "connection" in refused.exception.hint
    registered = runner.invoke(app, ["models", "register", "llama", "--kind", "provider", "--uri", "openai:llama",
                                     "--connection", "gpu-box", "--json"])
    assert registered.exit_code == 0 and '"connection": "gpu-box"' in registered.output
    assert runner.invoke(app, ["connections", "delete", "vault"]).exit_code == 0
    assert runner.invoke(app, ["connections", "show", "vault"]).exit_code == 1
