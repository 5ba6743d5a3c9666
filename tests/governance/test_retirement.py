"""Retirement: retired prompt/model versions are refused by new deployment versions, still readable, flagged."""

from __future__ import annotations

import pytest

from genloop.errors import Conflict, InvalidInput
from genloop.store import Store


def _setup(store: Store) -> None:
    from genloop.models import ModelService
    from genloop.prompts import PromptService

    prompts = PromptService(store, actor="user:alice")
    prompts.create("geo", template="Capital of {{ country }}?", model="mock:echo")
    prompts.create("geo", template="Capital city of {{ country }}?", model="mock:echo")
    ModelService(store, actor="user:alice").register("bot", kind="provider", uri="mock:echo-1")


def test_retired_prompt_refused_by_new_deployment_version_but_readable(store: Store) -> None:
    from genloop.audit import AuditService
    from genloop.deployments import DeploymentService
    from genloop.governance._retirement import RetirementService, retired_in_use
    from genloop.prompts import PromptService

    _setup(store)
    deployments = DeploymentService(store)
    deployments.create("geo-app", variants=[{"name": "a", "prompt": "geo@1"}])
    out = RetirementService(store, actor="user:lead").retire_prompt("geo@1", reason="superseded")
    assert (out["name"], out["version"]) == ("geo", 1)
    with pytest.raises(Conflict, match="already retired"):
        RetirementService(store).retire_prompt("geo@1")
    with pytest.raises(InvalidInput, match=r"prompt geo@1 is retired") as err:
        deployments.create("other", variants=[{"name": "a", "prompt": "geo@1"}])
    assert "genloop prompts versions geo" in (err.value.hint or "")
    assert PromptService(store).get("geo@1").version == 1  # evaluations may still read it
    with pytest.raises(Conflict, match="retired and cannot take label 'production'"):
        PromptService(store).label("geo@1", "production")
    deployments.create("other", variants=[{"name": "a", "prompt": "geo@2"}])
    flagged = retired_in_use(store, DeploymentService.latest_everywhere(store))
    assert list(flagged) == [("default", "geo-app")]
    assert "geo@1 is retired" in flagged[("default", "geo-app")][0]
    events = AuditService(store).list(action="retire").items
    assert events[0].entity_name == "geo" and events[0].after["reason"] == "superseded"


def test_retired_model_refused_by_new_deployment_version(store: Store) -> None:
    from genloop.deployments import DeploymentService
    from genloop.governance._retirement import RetirementService, retired_in_use

    _setup(store)
    DeploymentService(store).create("bot-app", variants=[{"name": "a", "model": "bot@1"}])
    RetirementService(store).retire_model("bot@1", reason="old")
    with pytest.raises(InvalidInput, match=r"model bot@1 is retired"):
        DeploymentService(store).update("bot-app", message="touch", variants=[{"name": "b", "model": "bot@1"}])
    flagged = retired_in_use(store, DeploymentService.latest_everywhere(store))
    assert "model bot@1 is retired" in flagged[("default", "bot-app")][0]


def test_gateway_snapshot_flags_deployments_on_retired_versions(store: Store) -> None:
    from genloop.deployments import DeploymentService
    from genloop.gateway._config import build_snapshot
    from genloop.governance._retirement import RetirementService

    _setup(store)
    DeploymentService(store).create("geo-app", variants=[{"name": "a", "prompt": "geo@1"}])
    assert build_snapshot(store, store.settings, None, 1).retired == {}
    RetirementService(store).retire_prompt("geo@1")
    snapshot = build_snapshot(store, store.settings, None, 2)
    assert ("default", "geo-app") in snapshot.deployments  # still served
    assert snapshot.retired == {("default", "geo-app"): ["variant 'a': prompt geo@1 is retired"]}


def test_studio_deployments_page_and_healthz_warn(store: Store) -> None:
    from fastapi.testclient import TestClient
    from tests.studio.conftest import BASE, server_app

    from genloop.deployments import DeploymentService
    from genloop.governance._retirement import RetirementService

    _setup(store)
    DeploymentService(store).create("geo-app", variants=[{"name": "a", "prompt": "geo@1"}])
    RetirementService(store).retire_prompt("geo@1")
    with TestClient(server_app(store), base_url=BASE) as web:
        page = web.get("/projects/default/deployments")
        assert page.status_code == 200
        assert "still uses retired versions" in page.text and "prompt geo@1 is retired" in page.text
        health = web.get("/healthz").json()
        assert health["retired"] == {"default/geo-app": ["variant 'a': prompt geo@1 is retired"]}
