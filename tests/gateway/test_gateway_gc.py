"""A process that serves only the gateway freezes its startup heap, so full collections do not stall the loop."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def _run(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_tune_gc_freezes_the_startup_heap_and_still_collects_new_cycles() -> None:
    out = _run("""
        import gc, time, weakref
        from genloop.gateway._gateway import tune_gc
        import genloop.store, sqlalchemy, pydantic  # a startup heap of a realistic size
        tune_gc()
        frozen = gc.get_freeze_count()
        start = time.thread_time()
        gc.collect()
        full_ms = (time.thread_time() - start) * 1000
        class Node: pass
        a, b = Node(), Node(); a.other, b.other = b, a
        ref = weakref.ref(a); del a, b
        gc.collect()
        print(frozen, ref() is None, round(full_ms, 3))
    """)
    frozen, collected, _full_ms = out.split()
    assert int(frozen) > 50_000
    assert collected == "True"  # a cycle made after the freeze is still collected


def test_only_a_process_that_owns_the_gateway_is_tuned(tmp_path) -> None:
    out = _run(f"""
        import asyncio, gc
        from genloop.gateway import GatewayApp
        from genloop.gateway._serve import create_served_gateway_app
        from genloop.settings import Settings
        settings = Settings(home={str(tmp_path)!r}, database_url="sqlite:///{tmp_path}/g.db", trace_writer="thread")
        embedded = GatewayApp(settings=settings)
        asyncio.run(embedded.startup()); asyncio.run(embedded.shutdown())
        before = gc.get_freeze_count()
        served = create_served_gateway_app()
        print(before, served.owns_process)
    """, {"GENLOOP_HOME": str(tmp_path), "GENLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/g.db"})
    before, owns = out.split()
    assert before == "0"
    assert owns == "True"
