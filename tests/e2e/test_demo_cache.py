"""The demo's pre-trained base is cached by content: reused for the same recipe, rebuilt for another, never
half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.demo._base_cache import base_cache_key, cached_tiny_model, default_cache_dir

CORPUS = ["The invoice is dated 2021-05-04.", "May 4, 2021 is 2021-05-04."]


@pytest.mark.slow
def test_a_second_build_reuses_the_folder_and_another_recipe_does_not(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    first, reused = cached_tiny_model(tmp_path, size="test", seed=0, steps=3, corpus=CORPUS)
    assert not reused and (first / "genloop_tiny.json").is_file()
    again, reused = cached_tiny_model(tmp_path, size="test", seed=0, steps=3, corpus=CORPUS)
    assert reused and again == first
    other, reused = cached_tiny_model(tmp_path, size="test", seed=0, steps=3, corpus=[*CORPUS, "Due 1999-01-02."])
    assert not reused and other != first
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])  # no staging left


@pytest.mark.slow
def test_an_interrupted_build_leaves_nothing_to_reuse(tmp_path: Path) -> None:
    pytest.importorskip("transformers")

    def interrupt(step: int, total: int, loss: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cached_tiny_model(tmp_path, size="test", seed=0, steps=3, corpus=CORPUS, progress=interrupt)
    assert list(tmp_path.iterdir()) == []
    _, reused = cached_tiny_model(tmp_path, size="test", seed=0, steps=3, corpus=CORPUS)
    assert not reused


def test_the_key_covers_recipe_and_corpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = base_cache_key(size="demo", seed=0, steps=500, corpus=CORPUS)
    assert key == base_cache_key(size="demo", seed=0, steps=500, corpus=list(CORPUS))
    assert key != base_cache_key(size="demo", seed=1, steps=500, corpus=CORPUS)
    assert key != base_cache_key(size="demo", seed=0, steps=800, corpus=CORPUS)
    assert key != base_cache_key(size="demo", seed=0, steps=500, corpus=CORPUS[:1])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "genloop" / "tiny-base"
