"""Studio's dataset pages: list, versions, rows paged and searched, download, upload, split, tags, labels."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from genloop.auth import KeyService
from genloop.datasets import DatasetService
from genloop.store import Store
from studio.conftest import login, token

ROWS = [{"question": f"question {i}", "answer": "yes" if i % 2 else "no"} for i in range(120)]


@pytest.fixture
def golden(store: Store) -> DatasetService:
    service = DatasetService(store, "alpha", actor="ana")
    service.create("golden", ROWS, message="first cut", tags=["golden"])
    service.label("golden@1", "production")
    return service


def test_list_and_versions(web: TestClient, golden: DatasetService) -> None:
    listing = web.get("/projects/alpha/datasets").text
    assert "golden" in listing and "120" in listing and "production → v1" in listing
    versions = web.get("/projects/alpha/datasets/golden").text
    assert "first cut" in versions and "v1" in versions
    assert web.get("/projects/alpha/datasets/nope").status_code == 404


def test_a_version_shows_schema_hash_tags_and_a_page_of_rows(web: TestClient, golden: DatasetService) -> None:
    page = web.get("/projects/alpha/datasets/golden/1")
    assert page.status_code == 200
    version = golden.get("golden@1")
    assert version.content_hash in page.text and 'id="schema"' in page.text and "question" in page.text
    assert "question 0" in page.text and "question 49" in page.text and "question 50" not in page.text
    nxt = web.get("/projects/alpha/datasets/golden/1?start=100").text
    assert "question 100" in nxt and "question 119" in nxt and "question 99<" not in nxt and "End" in nxt


def test_row_search_finds_text_and_continues(web: TestClient, golden: DatasetService) -> None:
    page = web.get("/projects/alpha/datasets/golden/1?q=QUESTION 11&limit=5").text
    assert "question 11<" in page and "question 110" in page and "question 12<" not in page
    assert "start=" in page  # the next page continues after the last match
    assert "No row contains" in web.get("/projects/alpha/datasets/golden/1?q=zzz").text


def test_download_in_every_format(web: TestClient, golden: DatasetService) -> None:
    answer = web.get("/projects/alpha/datasets/golden/1/download?format=jsonl")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    assert [json.loads(line) for line in answer.text.splitlines()] == ROWS
    assert web.get("/projects/alpha/datasets/golden/1/download?format=parquet").content[:4] == b"PAR1"
    assert web.get("/projects/alpha/datasets/golden/1/download?format=xml").status_code == 400


def test_upload_creates_a_version(web: TestClient, store: Store) -> None:
    form = web.get("/projects/alpha/datasets-new").text
    body = "\n".join(json.dumps(r) for r in ROWS[:3]).encode()
    csrf = token(web)
    assert "csrf_token=" in form
    answer = web.post(f"/projects/alpha/datasets-new?csrf_token={csrf}", follow_redirects=False,
                      data={"name": "uploaded", "message": "from a file", "tags": "a, b"},
                      files={"file": ("rows.jsonl", body, "application/octet-stream")})
    assert answer.status_code == 303, answer.text
    version = DatasetService(store, "alpha").get("uploaded")
    assert version.num_rows == 3 and version.tags == ["a", "b"] and version.created_by == "tester"
    bad = web.post(f"/projects/alpha/datasets-new?csrf_token={csrf}", data={"name": "broken"},
                   files={"file": ("rows.jsonl", b"{not json", "application/octet-stream")})
    assert bad.status_code == 400 and "rows.jsonl" in bad.text
    refused = web.post("/projects/alpha/datasets-new", data={"name": "x"}, files={"file": ("a.jsonl", body)})
    assert refused.status_code == 403  # no CSRF token


def test_split_tag_and_label(web: TestClient, golden: DatasetService, store: Store) -> None:
    csrf = token(web, "/projects/alpha/datasets/golden/1")
    answer = web.post("/projects/alpha/datasets/golden/1/split", follow_redirects=False,
                      data={"test_size": "0.25", "seed": "7", "csrf_token": csrf})
    assert answer.status_code == 303
    service = DatasetService(store, "alpha")
    assert service.get("golden-train").num_rows == 90 and service.get("golden-test").num_rows == 30
    web.post("/projects/alpha/datasets/golden/1/tags", data={"tag": "reviewed", "csrf_token": csrf})
    web.post("/projects/alpha/datasets/golden/1/labels", data={"label": "staging", "csrf_token": csrf})
    version = service.get("golden@1")
    assert "reviewed" in version.tags and "staging" in version.labels


def test_access_follows_the_rest_api(auth_web: TestClient, auth_store: Store) -> None:
    DatasetService(auth_store, "alpha").create("golden", ROWS[:2])
    DatasetService(auth_store, "beta").create("secret", ROWS[:2])
    login(auth_web, KeyService(auth_store, "alpha").create("reader", scopes=["read"]).key)
    assert auth_web.get("/projects/beta/datasets").status_code == 403
    assert auth_web.get("/projects/beta/datasets/secret/1/download").status_code == 403
    assert auth_web.get("/projects/alpha/datasets/golden/1").status_code == 200
    csrf = token(auth_web, "/projects/alpha/datasets/golden/1")
    answer = auth_web.post("/projects/alpha/datasets/golden/1/split", data={"csrf_token": csrf})
    assert answer.status_code == 403
    assert DatasetService(auth_store, "alpha").list().total == 1


def test_row_values_are_escaped(web: TestClient, store: Store) -> None:
    DatasetService(store, "alpha").create("xss", [{"text": "<script>alert(1)</script>"}],
                                          message="<b>bold</b>")
    for path in ("/projects/alpha/datasets/xss/1", "/projects/alpha/datasets/xss"):
        html = web.get(path).text
        assert "<script>alert(1)" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in web.get("/projects/alpha/datasets/xss/1").text


def test_name_search_covers_every_page_and_lineage_is_drawn(web: TestClient, golden: DatasetService) -> None:
    for i in range(4):
        golden.create(f"other{i}", ROWS[:1])
    golden.split("golden@1", test_size=0.5)
    found = web.get("/projects/alpha/datasets?q=GOLD&limit=2").text
    assert "1–2 of 3" in found and "golden-test" in found and "other0" not in found  # golden, golden-test, golden-train
    assert "3–3 of 3" in web.get("/projects/alpha/datasets?q=gold&limit=2&offset=2").text
    train = web.get("/projects/alpha/datasets/golden-train/1").text
    assert train.count('class="node ') == 2 and "golden@1" in train  # the split's source, drawn
