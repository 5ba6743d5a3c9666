"""Deployments through the service and its REST twin (same calls, same answers), and the CLI."""

from __future__ import annotations

import pytest

from genloop.errors import Conflict, InvalidInput, NotFound

VARIANT = {"name": "a", "prompt": "support@production", "model": "tiny@champion", "weight": 0.9}


def test_create_show_update_versions(twin) -> None:
    svc = twin.deployments
    created = svc.create("support", variants=[VARIANT, {"model": "openai:gpt-4o-mini", "weight": 0.1}],
                         fallbacks=[{"model": "openai:gpt-4o-mini"}], cache={"enabled": True, "ttl_s": 30},
                         description="support bot", message="first")
    assert (created.name, created.version, created.description) == ("support", 1, "support bot")
    assert [v.name for v in created.variants] == ["a", "v2"] and created.fallbacks[0].name == "fallback1"
    assert created.content_hash.startswith("sha256:") and created.cache.ttl_s == 30
    assert svc.create("support", variants=[VARIANT, {"model": "openai:gpt-4o-mini", "weight": 0.1}],
                      fallbacks=[{"model": "openai:gpt-4o-mini"}], cache={"enabled": True, "ttl_s": 30}).version == 1
    with pytest.raises(Conflict):
        svc.create("support", variants=[VARIANT])
    updated = svc.update("support", timeout_s=5, message="faster")
    assert updated.version == 2 and updated.timeout_s == 5 and updated.variants == created.variants
    assert svc.get("support").version == 2 and svc.get("support@1").timeout_s == 60
    assert [d.name for d in svc.list().items] == ["support"]
    assert [v.version for v in svc.versions("support").items] == [2, 1]
    with pytest.raises(NotFound):
        svc.get("support@9")
    with pytest.raises(NotFound):
        svc.update("ghost", timeout_s=1)


INVALID = [
    ({"variants": []}, "variants"),
    ({"variants": [{"weight": 1}]}, "prompt ref, a model ref"),
    ({"variants": [{"model": "tiny@@x"}]}, "tiny@@x"),
    ({"variants": [{"model": "m@1"}], "retries": {"attempts": 0}}, "attempts"),
    ({"variants": [{"model": "m@1"}], "colour": "red"}, "colour"),
    ({"variants": [{"model": "m@1", "name": "x"}, {"model": "m@2", "name": "x"}]}, "twice"),
    ({"variants": [{"model": "m@1"}], "guardrails": {"name": "p", "rules": [{"check": "nope", "action": "block"}]}},
     "nope"),
]


def test_invalid_specs_name_the_problem(twin) -> None:
    for spec, needle in INVALID:
        with pytest.raises(InvalidInput) as caught:
            twin.deployments.create("bad", **spec)
        assert needle in str(caught.value), spec


def test_cli_create_list_show_update(sqlite_env, tmp_path) -> None:
    from typer.testing import CliRunner

    from genloop.cli.deployments import app

    runner = CliRunner()
    result = runner.invoke(app, ["create", "bot", "--variant", "name=a,model=openai:gpt-4o-mini,temperature=0.2",
                                 "--fallback", "model=mock:echo", "--cache-ttl", "60", "--json"])
    assert result.exit_code == 0, result.output
    assert '"temperature": 0.2' in result.output
    spec = tmp_path / "spec.yaml"
    spec.write_text("variants:\n  - {name: b, model: 'mock:echo'}\ntimeout_s: 9\n")
    assert runner.invoke(app, ["update", "bot", "--file", str(spec), "-m", "swap"]).exit_code == 0
    shown = runner.invoke(app, ["show", "bot", "--json"])
    assert '"version": 2' in shown.output and '"timeout_s": 9.0' in shown.output
    listed = runner.invoke(app, ["list"])
    assert "bot" in listed.output
    assert runner.invoke(app, ["show", "ghost"]).exit_code != 0
