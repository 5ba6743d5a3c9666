"""The price table: defaults, snapshot families, files from settings, and None (not 0) for unknown models."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.errors import InvalidInput
from genloop.providers import ChatRequest, PriceTable, Usage, get_provider
from genloop.settings import Settings

USAGE = Usage(input_tokens=1_000_000, output_tokens=500_000)


def test_defaults_and_snapshots() -> None:
    table = PriceTable()
    assert table.cost("openai", "gpt-4o-mini", USAGE) == pytest.approx(0.15 + 0.30)
    assert table.cost("openai", "gpt-4o-mini-2024-07-18", USAGE) == table.cost("openai", "gpt-4o-mini", USAGE)
    assert table.price("anthropic", "claude-3-5-haiku-20241022") == table.price("anthropic", "claude-3-5-haiku")
    assert table.price("gemini", "gemini-1.5-flash-002") is not None


def test_unknown_model_costs_none_not_zero() -> None:
    assert PriceTable().cost("openai", "my-finetune", USAGE) is None
    assert PriceTable().cost("vllm", "gpt-4o-mini", USAGE) is None  # another endpoint: no guess
    free = PriceTable({"local-llama": {"input": 0, "output": 0}})
    assert free.cost("vllm", "local-llama", USAGE) == 0.0  # a bare model key prices it on any provider


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_price_file_overrides_defaults(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"prices{suffix}"
    if suffix == ".yaml":
        path.write_text("openai:gpt-4o-mini: {input: 1.0, output: 2.0}\nmine: {input: 3}\n")
    else:
        path.write_text('{"openai:gpt-4o-mini": {"input": 1.0, "output": 2.0}, "mine": {"input": 3}}')
    table = PriceTable.from_file(path)
    assert table.cost("openai", "gpt-4o-mini", USAGE) == pytest.approx(1.0 + 1.0)
    assert table.cost("x", "mine", USAGE) == pytest.approx(3.0)
    assert "openai:gpt-4o" in table and "openai:gpt-4o" not in PriceTable.from_file(path, defaults=False)


def test_bad_price_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        PriceTable.from_file(tmp_path / "missing.yaml")
    (tmp_path / "neg.json").write_text('{"m": {"input": -1}}')
    with pytest.raises(InvalidInput, match="price for 'm'"):
        PriceTable.from_file(tmp_path / "neg.json")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(InvalidInput, match="must map"):
        PriceTable.from_file(tmp_path / "list.yaml")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InvalidInput, match="not valid"):
        PriceTable.from_file(tmp_path / "broken.json")


async def test_settings_price_table_reaches_providers(tmp_path: Path, plugin_manager: object) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("mock:echo: {input: 10, output: 20}\n")
    provider = get_provider("mock", settings=Settings(price_table=path))
    result = await provider.chat(ChatRequest(model="echo", messages=[{"role": "user", "content": "a b"}]))
    assert result.cost == pytest.approx((2 * 10 + 2 * 20) / 1e6)
