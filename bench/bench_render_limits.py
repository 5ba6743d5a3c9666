"""What the rendering limits cost: GenLoop's limited render next to a plain Jinja2 sandbox, in one run.

    python bench/bench_render_limits.py [--number 20000]

Renders the same templates (variables only; variables with a short loop and filters) with a plain
``ImmutableSandboxedEnvironment`` and with :func:`genloop.prompts._template._render` (loop items counted,
filters and calls checked, output size capped, a time budget), and prints microseconds per render and
the ratio. It also times how long a hostile template (nested loops) runs before its limit stops it.
"""

from __future__ import annotations

import argparse
import time
import timeit

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from genloop.prompts._limits import is_light
from genloop.prompts._template import ENV, _render

TEMPLATES = {
    "variables": "You are a support agent for {{ product }}. Answer in {{ language }}: {{ question }}",
    "loop+filters": "{% for x in items %}- {{ x|upper }} ({{ loop.index }})\n{% endfor %}{{ question|trim }}",
}
VARIABLES = {"product": "Acme", "language": "English", "question": " where is my order? ",
             "items": ["alpha", "beta", "gamma", "delta", "epsilon"]}
HOSTILE = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args()
    plain_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for name, source in TEMPLATES.items():
        plain, limited, light = plain_env.from_string(source), ENV.from_string(source), is_light(ENV.parse(source))
        assert plain.render(VARIABLES) == _render(limited, VARIABLES, light)
        a = min(timeit.repeat(lambda t=plain: t.render(VARIABLES),
                              number=args.number, repeat=5)) / args.number * 1e6
        b = min(timeit.repeat(lambda t=limited, k=light: _render(t, VARIABLES, k), number=args.number,
                              repeat=5)) / args.number * 1e6
        print(f"{name:14s} plain sandbox {a:6.2f} us   limited {b:6.2f} us   ratio {b / a:4.2f}")
    started = time.perf_counter()
    try:
        _render(ENV.from_string(HOSTILE), {})
    except Exception as exc:  # noqa: BLE001 - the limit is what we time
        print(f"nested loops stopped after {time.perf_counter() - started:.2f} s: {exc}")


if __name__ == "__main__":
    main()
