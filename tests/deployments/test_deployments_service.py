"""Deployments through the service and its REST twin (same calls, same answers), and the CLI."""

from __future__ import annotations

import pytest

from genloop.errors import Conflict, InvalidInput, NotFound

VARIANT = {"name": "a", "prompt": "support@production", "model": "tiny@champion", "weight": 0.9}


@pytest.fixture
def refs(store) -> None:  # type: ignore[no-untyped-def]
    """What the specs below name: prompt support@production, model tiny@champion and m@1, m@2."""
    from genloop.models import ModelService
    from genloop.prompts import PromptService

    prompts = PromptService(store)
    prompts.create("support", messages=[{"role": "user", "content": "{{ question }}"}], model="mock:echo")
    prompts.label("support@1", "production")
    models = ModelService(store)
    models.register("tiny", kind="provider", uri="mock:echo")
    models.alias("tiny@1", "champion")
    models.register("m", kind="provider", uri="mock:echo")
    models.register("m", kind="provider", uri="mock:upper")


def test_create_show_update_versions(twin, refs) -> None:
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


def test_invalid_specs_name_the_problem(twin, refs) -> None:
    for spec, needle in INVALID:
        with pytest.raises(InvalidInput) as caught:
            twin.deployments.create("bad", **spec)
        assert needle in str(caught.value), spec


BROKEN_REFERENCES = [
    ({"prompt": "support@9"}, "prompt 'support@9' does not exist"),
    ({"prompt": "support@staging"}, "prompt 'support@staging' does not exist"),
    ({"prompt": "geo@1"}, "prompt 'geo@1' does not exist"),
    ({"model": "tiny@candidate"}, "model 'tiny@candidate' does not exist"),
    ({"model": "opneai:gpt-4o-mini"}, "unknown provider 'opneai' in model 'opneai:gpt-4o-mini'; did you mean 'openai'?"),
    ({"model": "openai:served", "connection": "nope"}, "connection 'nope' does not exist"),
]


def test_references_are_checked_on_create_and_update(twin, refs) -> None:
    """A prompt, label, model, alias, provider or connection that does not exist is refused, naming the variant."""
    svc = twin.deployments
    svc.create("ok", variants=[{"prompt": "support@production"}])  # the prompt's own model serves it
    for variant, needle in BROKEN_REFERENCES:
        for attempt in (lambda v=variant: svc.create("bad", variants=[v]),
                        lambda v=variant: svc.update("ok", fallbacks=[v])):
            with pytest.raises(InvalidInput) as caught:
                attempt()
            assert needle in str(caught.value) and "variant" in str(caught.value), (variant, str(caught.value))
    with pytest.raises(NotFound):
        svc.get("bad")
    assert svc.get("ok").version == 1  # nothing half-written


def test_guardrail_policy_reads_apply_to_and_takes_the_deployment_name(twin, refs) -> None:
    """The README's policy: no `name` (the deployment's is used), `apply_to:` or YAML's `on:` (read as true)."""
    import yaml

    policy = yaml.safe_load("rules:\n  - {check: email, on: both, action: mask}\n"
                            "  - {check: prompt_injection, apply_to: input, action: block}\n")
    assert True in policy["rules"][0]  # what YAML 1.1 makes of `on:`
    created = twin.deployments.create("guarded", variants=[{"model": "mock:echo"}], guardrails=policy)
    assert created.guardrails["name"] == "guarded"
    assert [r["on"] for r in created.guardrails["rules"]] == ["both", "input"]
    with pytest.raises(InvalidInput, match="not both"):
        twin.deployments.create("twice", variants=[{"model": "mock:echo"}],
                                guardrails={"rules": [{"check": "email", "on": "both", "apply_to": "input",
                                                       "action": "mask"}]})


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
