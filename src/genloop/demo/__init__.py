"""`genloop demo`: the GenOps loop end to end on the embedded default (SQLite + local files), offline.

Every figure it prints is computed live from data it generates with seeded code.
"""

from __future__ import annotations

import time
from typing import Any

from genloop.demo._registry_steps import Seeded, seed_registry

__all__ = ["run_demo"]


def run_demo(client: Any, say: Any = print, *, quick: bool = False) -> dict[str, Any]:
    """Run the demo on ``client``'s project; ``say`` prints one line of progress. Returns the figures."""
    started = time.perf_counter()
    seeded: Seeded = seed_registry(client, say, n_examples=200 if quick else 600)
    figures: dict[str, Any] = {"datasets": [seeded.source, seeded.train, seeded.golden, seeded.sft],
                               "prompt": seeded.prompt, "data_run": seeded.run_id}
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures
