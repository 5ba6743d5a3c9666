"""Governance through the SDK (in-process and REST twins), the CLI, and model cards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.governance.conftest import POLICY, eval_spec

from genloop.errors import Conflict, Forbidden, NotFound
from genloop.evals import EvalService
from genloop.governance import ModelCardService, ReviewService
from genloop.models import ModelService
from genloop.settings import Settings
from genloop.store import Store

#: SQLite only for tests of a thin layer (SDK, CLI, REST) over services that the other tests here run on
#: PostgreSQL too: the database is not what they assert.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@contextlib.contextmanager
def _as(client: Any, store: Store, actor: str) -> Iterator[Any]:
    """The same kind of client (in-process or remote) acting as ``actor``."""
    from genloop import Client

    if client.is_remote:
        with Client(client.url, settings=Settings(actor=actor)) as other:
            yield other
        return
    other_store = Store(store.settings.model_copy(update={"actor": actor}))
    try:
        with Client(store=other_store) as other:
            yield other
    finally:
        other_store.close()


@SQLITE_ONLY
def test_policies_and_reviews_through_the_client(client: Any, world: Store) -> None:
    gov = client.governance
    info = gov.policies.set({**POLICY, "description": "through the client"})
    assert info.version == 2 and gov.policies.get("prod-gate").spec.description == "through the client"
    assert [p.name for p in gov.policies.list()] == ["prod-gate"]
    with pytest.raises(NotFound, match="no promotion policy 'nope'"):
        gov.policies.get("nope")
    with pytest.raises(Conflict) as blocked:
        client.models.alias("bot@2", "production")
    assert any("approval" in m for m in blocked.value.details["missing"])
    EvalService(world).run(eval_spec("bot@2"))
    review = gov.reviews.request("model:bot@2", target="production")
    assert review.passed and review.status == "pending" and review.requested_by == "tester"
    assert gov.reviews.list(status="pending")[0].id == review.id
    with pytest.raises(Forbidden, match="requester"):
        gov.reviews.decide(review.id, "approve")
    with _as(client, world, "user:bob") as bob:
        decided = bob.governance.reviews.decide(review.id, "approve", comment="ok")
    assert decided.status == "approved" and decided.decided_by == "user:bob"
    assert client.models.get("bot@production").version == 2
    assert gov.reviews.get(review.id).comment == "ok"
    with pytest.raises(NotFound, match="review #999"):
        gov.reviews.get(999)
    card = gov.cards.card("bot@2")
    assert card.approvals[0]["by"] == "user:bob" and "## Evaluation results" in card.markdown
    assert card.safety and card.bias and card.evaluations[0]["metrics"]["exact_match"]["value"] == 0.75


@SQLITE_ONLY
@pytest.mark.slow
def test_cli_policy_review_and_card(cli: Any, world: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "policy.yaml"
    spec.write_text(yaml.safe_dump({**POLICY, "description": "cli"}), encoding="utf-8")
    out = cli("governance", "policies", "set", str(spec))
    assert out.code == 0 and "policy prod-gate v2 guards model bot -> production" in out.out
    assert "exact_match>=0.5" in cli("governance", "policies", "show", "prod-gate").out
    refused = cli("models", "alias", "bot@2", "production")
    assert refused.code == 1 and refused.err.count("\n") == 1 and "needs an approved review" in refused.err
    EvalService(world).run(eval_spec("bot@2"))
    monkeypatch.setenv("GENLOOP_ACTOR", "user:alice")
    shown = cli("governance", "review", "request", "bot@2", "--target", "production")
    assert shown.code == 0 and "[pass] evaluation 'qa': exact_match>=0.5" in shown.out
    review_id = int(shown.out.split("#", 1)[1].split(":", 1)[0])
    self_decided = cli("governance", "review", "decide", str(review_id), "approve")
    assert self_decided.code == 1 and "cannot decide" in self_decided.err
    monkeypatch.setenv("GENLOOP_ACTOR", "user:bob")
    decided = cli("governance", "review", "decide", str(review_id), "approve", "--comment", "fine")
    assert decided.code == 0 and f"review #{review_id} approved by user:bob; bot@production -> 2" in decided.out
    assert "approved" in cli("governance", "review", "list").out
    assert cli("governance", "review", "show", str(review_id), "--json").json()["status"] == "approved"
    card = cli("models", "card", "bot@production")
    assert card.code == 0 and card.out.startswith("# Model card: bot@2")


def test_model_card_notes_escaping_and_export(store: Store, tmp_path: Path) -> None:
    weights = tmp_path / "ckpt"
    weights.mkdir()
    (weights / "config.json").write_text("{}", encoding="utf-8")
    (weights / "model.bin").write_bytes(b"\x00" * 16)
    ModelService(store, actor="user:alice").register("tiny", kind="checkpoint", uri=str(weights))
    with pytest.raises(Forbidden, match="only the author"):
        ModelCardService(store, actor="user:bob").set_notes("tiny@1", limitations="x")
    card = ModelCardService(store, actor="user:alice").set_notes(
        "tiny@1", intended_use="Dates | times", limitations="<script>alert(1)</script>\nshort inputs only")
    assert "Dates \\| times" in card.markdown and "<script>" not in card.markdown
    assert "&lt;script&gt;" in card.markdown and "_No evaluation run of this version._" in card.markdown
    out = ModelCardService(store).export("tiny@1", tmp_path / "export")
    assert sorted(p.name for p in (out / "model").iterdir()) == ["config.json", "model.bin"]
    assert (out / "MODEL_CARD.md").read_text(encoding="utf-8") == card.markdown
    with pytest.raises(Exception, match="not empty"):
        ModelCardService(store).export("tiny@1", out)


def test_review_of_a_prompt_label(store: Store) -> None:
    from genloop.governance import PolicyService
    from genloop.prompts import PromptService

    prompts = PromptService(store, actor="user:alice")
    prompts.create("support", template="Answer: {{ q }}")
    PolicyService(store).set({"name": "prompt-gate", "target": {"kind": "prompt", "label": "production"}})
    with pytest.raises(Conflict, match="approval by a reviewer who is not the author"):
        prompts.label("support@1", "production")
    review = ReviewService(store, actor="user:alice").request("prompt:support@1")
    assert review.passed and review.evidence.lineage["content_hash"].startswith("sha256:")
    ReviewService(store, actor="user:bob").decide(review.id, "approve")
    assert "production" in prompts.get("support@1").labels


@SQLITE_ONLY
def test_rest_bad_input_is_answered_with_the_envelope(server: Any, world: Store) -> None:
    import httpx

    base = f"{server.url}/api/v1/projects/default/governance"
    cases = [
        ("PUT", "/policies", {"name": "p"}, 400, "invalid policy: target"),
        ("PUT", "/policies", {**POLICY, "evaluations": [{"eval": "qa", "gates": [1]}]}, 400, "invalid policy"),
        ("PUT", "/policies", {**POLICY, "bias": [{"eval": "qa", "metric": "m", "column": "c", "max_gap": -1}]}, 400,
         "max_gap"),
        ("POST", "/reviews", {"ref": "dataset:golden@1"}, 400, "cannot review"),
        ("POST", "/reviews", {"ref": "nope@1"}, 404, "nope"),
        ("POST", "/reviews", {"ref": "bot@9"}, 404, "no version 9"),
        ("POST", "/reviews", {"ref": "bot@2", "target": "bad label!"}, 400, "invalid label"),
        ("POST", "/reviews/1/decide", {"decision": "approve"}, 404, "review #1 does not exist"),
        ("GET", "/reviews?status=weird", None, 400, "unknown review status"),
        ("GET", "/policies/nope?version=3", None, 404, "no promotion policy"),
    ]
    with httpx.Client(timeout=20, headers={"x-genloop-actor": "user:alice"}) as http:
        for method, path, body, status, text in cases:
            answer = http.request(method, base + path, json=body)
            assert answer.status_code == status, (path, body, answer.text)
            assert text in answer.json()["error"]["message"], (path, answer.text)
        for bad in ("0", "-1", "99999999999", "x"):
            answer = http.get(f"{base}/reviews/{bad}")
            assert answer.status_code in (400, 422) and "error" in answer.json(), (bad, answer.text)
        review = http.post(base + "/reviews", json={"ref": "bot@2"}).json()
        answer = http.post(f"{base}/reviews/{review['id']}/decide", json={"decision": "maybe"})
        assert answer.status_code in (400, 422)
        answer = http.post(f"{base}/reviews/{review['id']}/decide", json={"decision": "reject"})
        assert answer.status_code == 403 and "they are its author" in answer.json()["error"]["message"]
