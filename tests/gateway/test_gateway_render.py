"""A prompt that renders slowly runs off the event loop (other requests go on) and stops at its limit with a 400."""

from __future__ import annotations

import concurrent.futures
import time

import httpx

from genloop.prompts import PromptService

from .conftest import mock_variant

CHAT = "/v1/chat/completions"
SLOW = "{% for i in range(999) %}{% for j in range(999) %}{{ ''|trim }}{% endfor %}{% endfor %}{{ q }}"


def test_slow_render_is_off_loop_and_limited(store, upstream, deploy, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    prompts = PromptService(store)
    prompts.create("slow", messages=[{"role": "system", "content": SLOW}])
    prompts.create("quick", messages=[{"role": "system", "content": "Answer {{ q }}"}])
    deploy("slow", variants=[mock_variant(upstream, prompt="slow")])
    deploy("quick", variants=[mock_variant(upstream, prompt="quick")])
    body = {"messages": [{"role": "user", "content": "hi"}], "genloop_variables": {"q": "x"}}
    with gateway_factory() as gw, httpx.Client(base_url=gw.url, timeout=30) as http, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        assert http.post(CHAT, json={**body, "model": "quick"}).status_code == 200

        def timed(model: str) -> tuple[httpx.Response, float]:
            with httpx.Client(base_url=gw.url, timeout=30) as own:
                started = time.perf_counter()
                answer = own.post(CHAT, json={**body, "model": model})
                return answer, time.perf_counter() - started

        slow = pool.submit(timed, "slow")
        time.sleep(0.05)  # the slow render has begun
        quick_answer, quick_s = timed("quick")
        slow_answer, slow_s = slow.result()
        assert quick_answer.status_code == 200
        assert slow_answer.status_code == 400, slow_answer.text
        assert "rendering limit" in slow_answer.json()["error"]["message"]
        assert quick_s < slow_s / 2, (quick_s, slow_s)  # the loop kept serving while the slow prompt rendered
        gw.flush()
