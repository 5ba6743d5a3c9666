"""`genloop models ...` through the real entry point (the service behind it is tested on both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_models_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ok = cli("models", "register", "gpt", "--kind", "provider", "--uri", "openai:gpt-4o-mini",
             "--base-url", "https://api.example.com/v1", "--description", "small model")
    assert ok.code == 0, ok.err
    assert "registered gpt@1 (provider, draft)" in ok.out
    assert "unchanged, already gpt@1" in cli("models", "register", "gpt", "--kind", "provider", "--uri",
                                              "openai:gpt-4o-mini", "--base-url", "https://api.example.com/v1").out
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "config.json").write_text("{}")
    base = cli("models", "register", "llama", "--kind", "checkpoint", "--uri", str(tmp_path / "ckpt"), "--json",
               "--config", '{"dtype": "bf16"}')
    assert base.code == 0, base.err
    assert base.json()["config"] == {"dtype": "bf16"}
    adapter = cli("models", "register", "tiny", "--kind", "adapter", "--uri", "s3://b/tiny", "--base", "llama",
                  "--json")
    assert adapter.json()["base"] == "llama@1"

    listing = cli("models", "list", "--json").json()
    assert [(m["name"], m["latest_version"]) for m in listing["items"]] == [("gpt", 1), ("llama", 1), ("tiny", 1)]
    assert "llama" in cli("models", "list").out
    assert cli("models", "alias", "tiny@1", "champion").out.strip() == "tiny@champion -> version 1"
    status = cli("models", "status", "tiny@champion", "approved", "--reason", "evals pass")
    assert status.code == 0 and "tiny@1: draft -> approved" in status.out
    shown = cli("models", "show", "tiny@champion", "--json").json()
    assert shown["aliases"] == ["champion"] and shown["history"][-1]["reason"] == "evals pass"
    text = cli("models", "show", "tiny@1").out
    assert "base" in text and "llama@1" in text and "evals pass" in text
    cli("models", "register", "deep", "--kind", "provider", "--uri", "mock:echo", "--config",
        '{"params": {"temperature": 0.2, "stop": ["x", "y"]}}')
    deep = cli("models", "show", "deep@1").out  # readable without --json: one line per setting, no JSON blob
    assert any(line.split() == ["config.params.temperature", "0.2"] for line in deep.splitlines()), deep
    assert any(line.split() == ["config.params.stop", "x,", "y"] for line in deep.splitlines()), deep
    assert "1" in cli("models", "versions", "tiny").out
    assert cli("models", "unalias", "tiny", "champion").code == 0

    for args, message in [
        (("models", "register", "x", "--kind", "lora", "--uri", "y"), "invalid model kind 'lora'"),
        (("models", "register", "x", "--kind", "adapter", "--uri", "s3://b/x"), "needs a base model"),
        (("models", "register", "x", "--kind", "provider", "--uri", "o:x", "--config", "{"), "--config is not JSON"),
        (("models", "status", "tiny@1", "draft"), "cannot go from approved to draft"),
        (("models", "status", "tiny@1", "shipped"), "invalid model status 'shipped'"),
        (("models", "alias", "tiny@5", "prod"), "has no version 5 (latest is 1)"),
        (("models", "unalias", "tiny", "champion"), "has no label 'champion'"),
        (("models", "show", "tiny@nope"), "has no label 'nope'"),
    ]:
        result = cli(*args)
        assert result.code == 1 and message in result.err, (args, result.err)
    assert cli("models", "list", "--json", "--project", "other").json()["total"] == 0
