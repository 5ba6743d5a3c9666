"""The permission check per request: the permission table (``genloop.auth.authorize``) against the scope check it
replaced (method -> read/write), on the same keys and a mix of real request paths.

    python bench/bench_authorize.py [--requests 200000] [--distinct 5000]

``--distinct`` paths (made-up ids, so the table's per-path cache sees both hits and misses) are cycled through.
Reports microseconds per check for each and the ratio table / legacy (the goal: under 10 us a check, a small
share of a REST request's ~1 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from genloop.auth import KeyInfo, authorize
from genloop.auth._middleware import required_access

_PATHS = ["GET /api/v1/projects/p/datasets/d{i}", "POST /api/v1/projects/p/runs/r{i}/metrics",
          "GET /api/v1/projects/p/review/queues/q{i}/items/{i}", "POST /api/v1/projects/p/review/queues/q{i}/claim",
          "GET /api/v1/projects/p/traces/t{i}", "POST /v1/chat/completions", "PUT /api/v1/projects/p/models/m{i}/card"]


def legacy(key: KeyInfo, method: str, path: str) -> None:
    project, scope = required_access(method, path)
    if project is not None and project != key.project:
        raise PermissionError(project)
    if not key.allows(scope) and "annotate" not in key.scopes:
        raise PermissionError(scope)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--distinct", type=int, default=5_000)
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC)
    service = KeyInfo(id="glk_a", project="p", name="svc", scopes=["operator"], created_at=now)
    user = KeyInfo(id="glk_b", project="p", name="u", scopes=["operator"], created_at=now, owner="u",
                   owner_kind="user", role="editor")
    requests = []
    for i in range(args.distinct):
        method, path = _PATHS[i % len(_PATHS)].format(i=i).split(" ", 1)
        requests.append((method, path))
    results = {}
    for name, fn, key in (("legacy scopes", legacy, service), ("table, service key", authorize, service),
                          ("table, user key", authorize, user)):
        start = time.perf_counter()
        for n in range(args.requests):
            method, path = requests[n % len(requests)]
            try:
                fn(key, method, path)
            except Exception:  # noqa: BLE001 - a refusal costs the same as an answer here
                pass
        results[name] = (time.perf_counter() - start) / args.requests * 1e6
    base = results["legacy scopes"]
    for name, us in results.items():
        print(f"{name:20s} {us:7.2f} us/check   x{us / base:.2f} of legacy")


if __name__ == "__main__":
    main()
