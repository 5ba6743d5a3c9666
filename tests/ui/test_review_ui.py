"""Journeys of a rater in Studio, keyboard only: a scored queue (with skip, look back, undo), a pairwise queue
and an edit-to-correct queue; each checks what the store holds and what the exported datasets contain."""

from __future__ import annotations

from typing import Any

from genloop.datasets import DatasetService
from genloop.feedback import FeedbackService
from genloop.review import ReviewService
from genloop.server import BackgroundServer
from genloop.store import Store
from genloop.tracing import TraceService
from ui.conftest import shot

SCORED = [{"name": "helpfulness", "type": "likert", "points": ["bad", "poor", "ok", "good", "great"]},
          {"name": "safe", "type": "boolean"},
          {"name": "fix", "type": "edit", "prompt": "Correct the answer if needed"}]


def _traces(store: Store, n: int) -> None:
    TraceService(store).record([
        {"id": f"{i:032x}", "deployment": "bot", "started_at": 1_700_000_000.0 + i,
         "input": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"What is {i} + {i}?"}],
         "output": {"role": "assistant", "content": f"It is {i + i + (i == 2)}."}} for i in range(1, n + 1)])


def _settle(page: Any) -> None:
    page.wait_for_function("document.getElementById('rate').getAttribute('data-pending') === '0'")


def _shown(page: Any) -> int:
    return int(page.locator("#rate-item .rate-card").get_attribute("data-item"))


def test_rate_a_queue_with_the_keyboard_only(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    _traces(ui_store, 3)
    owner = ReviewService(ui_store, actor="owner")
    owner.create_schema("quality", SCORED)
    owner.create_queue("support", "quality")
    owner.add_traces("support", {"deployment": "bot"})

    page.goto(live.url + "/projects/default/review")
    assert "support" in page.locator("#queues").inner_text()
    page.goto(live.url + "/projects/default/review/support/rate")
    first = _shown(page)
    assert "What is 1 + 1?" in page.locator("#rate-item").inner_text()
    assert page.locator("#rate-next .rate-card").count() == 0  # a <template>: its content is not in the page
    assert page.evaluate("document.getElementById('rate-next').content.querySelector('.rate-card') !== null")
    shot(page, "review-rate")

    page.keyboard.press("Enter")  # nothing answered: refused on the page, nothing sent
    assert "answer helpfulness, safe first" in page.locator("#rate-error").inner_text()
    page.keyboard.press("4")
    page.keyboard.press("y")
    page.keyboard.press("Enter")
    assert _shown(page) != first and "What is 2 + 2?" in page.locator("#rate-item").inner_text()  # preloaded
    page.keyboard.press("2")
    page.keyboard.press("n")
    page.keyboard.press("e")
    page.keyboard.press("Control+a")
    page.keyboard.type("It is 4.")
    page.keyboard.press("Control+Enter")
    _settle(page)
    assert "What is 3 + 3?" in page.locator("#rate-item").inner_text()
    page.keyboard.press("s")
    _settle(page)
    assert page.locator("[data-done-panel]").count() == 1
    assert page.locator("[data-mine]").inner_text() == "2"

    page.keyboard.press("k")  # look back: the skipped third item, then the second with this rater's answers
    page.wait_for_selector("#rate-item .rate-card[data-position='2']")
    page.keyboard.press("k")
    page.wait_for_selector("#rate-item .rate-card[data-rated]")
    assert page.locator("#rate-item textarea[data-edit]").input_value() == "It is 4."
    shot(page, "review-look-back")
    page.keyboard.press("j")
    page.wait_for_selector("#rate-item .rate-card[data-position='2']")
    page.keyboard.press("j")
    assert page.locator("[data-done-panel]").count() == 1
    page.keyboard.press("u")  # undo the last rating: it comes back with its answers, to be changed
    page.wait_for_selector("#rate-item .rate-card")
    _settle(page)
    assert "What is 2 + 2?" in page.locator("#rate-item").inner_text()
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    _settle(page)
    shot(page, "review-rate-done")

    ratings = owner.ratings("support").items
    assert [(r.answers["helpfulness"], r.answers["safe"], r.answers["fix"]) for r in ratings] == [
        (4, True, None), (3, False, "It is 4.")]
    assert all(r.rater == "tester" for r in ratings)
    progress = owner.progress("support")
    assert (progress.done, progress.mine.rated if progress.mine else 0, progress.raters[0].skipped) == (2, 0, 1)
    fix = FeedbackService(ui_store).list(name="fix").items
    assert [f.correction for f in fix if f.kind == "correction"] == ["It is 4."]
    sft = owner.export("support", kind="sft", name="support-sft")
    rows = list(DatasetService(ui_store).iter_rows(sft.dataset.ref))
    assert rows[0]["messages"][-1] == {"role": "assistant", "content": "It is 4."}
    assert rows[0]["messages"][1]["content"] == "What is 2 + 2?"

    page.goto(live.url + "/projects/default/review/support")
    assert "tester" in page.locator("table").first.inner_text()
    page.goto(live.url + "/projects/default/review/support/agreement")
    assert "helpfulness" in page.locator("#agreement").inner_text()
    shot(page, "review-agreement")


def test_pairwise_queue(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    owner = ReviewService(ui_store, actor="owner")
    owner.create_schema("pref", [{"name": "better", "type": "pairwise"}])
    owner.create_queue("duel", "pref")
    items = [{"messages": [{"role": "user", "content": f"Say hi {i}"}], "answer_a": f"Hello {i}!",
              "answer_b": f"hi{i}"} for i in range(6)]
    owner.add_items("duel", items)
    page.goto(live.url + "/projects/default/review/duel/rate")
    shown_orders = []
    for _ in range(6):
        _settle(page)
        left = page.locator("#rate-item .answer[data-side=a] pre").inner_text()
        shown_orders.append(left.startswith("Hello"))
        page.keyboard.press("a" if left.startswith("Hello") else "b")  # always prefer "Hello ...!"
        page.keyboard.press("Enter")
    _settle(page)
    shot(page, "review-pairwise-done")
    assert True in shown_orders and False in shown_orders  # positions were randomised per item
    stored = owner.ratings("duel").items
    assert len(stored) == 6 and {r.answers["better"]["choice"] for r in stored} == {"a"}  # de-randomised
    export = owner.export("duel", kind="preference", name="duel-pref")
    rows = list(DatasetService(ui_store).iter_rows(export.dataset.ref))
    assert len(rows) == 6 and all(r["chosen"][0]["content"].startswith("Hello") for r in rows)


def test_edit_to_correct_queue(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    _traces(ui_store, 2)
    owner = ReviewService(ui_store, actor="owner")
    owner.create_schema("fixes", [{"name": "fix", "type": "edit"}])
    owner.create_queue("edits", "fixes")
    owner.add_traces("edits")
    page.goto(live.url + "/projects/default/review/edits/rate")
    page.keyboard.press("Enter")  # "It is 2." is right: approve it unedited
    page.keyboard.press("e")  # "It is 5." is wrong: correct it
    page.keyboard.press("Control+a")
    page.keyboard.type("It is 4.")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    _settle(page)
    assert page.locator("[data-done-panel]").count() == 1
    golden = owner.export("edits", kind="golden", name="golden-edits")
    rows = list(DatasetService(ui_store).iter_rows(golden.dataset.ref))
    assert [r["reference"] for r in rows] == ["It is 2.", "It is 4."]
    pref = owner.export("edits", kind="preference", name="edit-pref")
    (row,) = DatasetService(ui_store).iter_rows(pref.dataset.ref)
    assert (row["chosen"][0]["content"], row["rejected"][0]["content"]) == ("It is 4.", "It is 5.")
