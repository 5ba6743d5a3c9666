"""The notify step follows the monitoring webhooks' rule: no link-local or cloud metadata address."""

from __future__ import annotations

from typing import Any

import pytest

from genloop.errors import InvalidInput
from genloop.pipelines._builtin import NotifyP, _notify


class _Ctx:
    pipeline, pipeline_run_id, step = "p", "r", "s"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x",
                                 "http://100.100.100.200/", "http://0.0.0.0:9/"])
def test_notify_refuses_metadata_and_link_local_addresses(url: str) -> None:
    ctx: Any = _Ctx()
    with pytest.raises(InvalidInput, match="link-local|metadata|unspecified"):
        _notify(ctx, NotifyP(url=url, message="hello", retries=0))
    assert ctx.lines == []  # refused before any attempt
