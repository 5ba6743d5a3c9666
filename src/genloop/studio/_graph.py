"""Lineage drawn as SVG, laid out on the server: versions and the runs between them, in columns by depth.

The version asked about sits in the rightmost column; each run that made a version sits one column to its
left, that run's inputs one further, and so on. A version reached twice (a base model shared by two runs)
is drawn once, in its deepest column, so every edge points right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genloop.runs import LineageNode

__all__ = ["Graph", "layout_lineage"]

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 210, 44, 70, 18, 16


@dataclass
class GraphNode:
    key: str
    kind: str  # dataset | model | prompt | run | ...
    label: str
    sub: str
    href: str | None
    focus: bool = False
    depth: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass
class GraphEdge:
    source: str
    target: str
    label: str = ""
    path: str = ""


@dataclass
class Graph:
    """What the template draws: positioned nodes, edges as SVG paths, and the canvas size."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    node_w: int = NODE_W
    node_h: int = NODE_H


def _href(project: str, entity_type: str, name: str, version: int) -> str | None:
    base = f"/projects/{project}"
    return {"dataset": f"{base}/datasets/{name}/{version}", "model": f"{base}/models/{name}/{version}",
            "prompt": f"{base}/prompts/{name}/versions/{version}"}.get(entity_type)


def layout_lineage(root: LineageNode, project: str) -> Graph:
    """Lay out the lineage of ``root`` (from :meth:`genloop.runs.RunService.lineage`)."""
    nodes: dict[str, GraphNode] = {}
    edges: dict[tuple[str, str], GraphEdge] = {}

    def place(key: str, make: GraphNode, depth: int) -> GraphNode:
        node = nodes.setdefault(key, make)
        node.depth = max(node.depth, depth)
        return node

    def visit(item: LineageNode, depth: int, seen: frozenset[str]) -> None:
        key = item.ref
        place(key, GraphNode(key, item.entity_type, f"{item.name}@{item.version}", item.entity_type,
                             _href(project, item.entity_type, item.name, item.version), focus=depth == 0), depth)
        if key in seen:  # a cycle cannot happen in lineage, but never loop on bad data
            return
        seen = seen | {key}
        if item.produced_by is not None:
            run = item.produced_by
            run_key = f"run:{run.id}"
            place(run_key, GraphNode(run_key, "run", run.name or run.id, f"{run.kind} run · {run.status}",
                                     f"/projects/{project}/runs/{run.id}"), depth + 1)
            edges[(run_key, key)] = GraphEdge(run_key, key, "made")
            for source in item.inputs:
                visit(source, depth + 2, seen)
                edges[(source.ref, run_key)] = GraphEdge(source.ref, run_key, "read")
            traces = getattr(item, "input_trace_count", 0)
            if traces:  # the traffic the run read (a feedback export): one box for all of them
                ids = getattr(item, "input_traces", [])
                trace_key = f"traces:{run.id}"
                href = (f"/projects/{project}/traces/{ids[0]}" if traces == 1 and ids
                        else f"/projects/{project}/traces")
                place(trace_key, GraphNode(trace_key, "trace", f"{traces:,} trace{'s' if traces != 1 else ''}",
                                           "traffic read", href), depth + 2)
                edges[(trace_key, run_key)] = GraphEdge(trace_key, run_key, "read")
        if item.parent is not None and not any(source.ref == item.parent.ref for source in item.inputs):
            # a base that the producing run also read is drawn through the run, not with a second edge
            visit(item.parent, depth + 1, seen)
            edges.setdefault((item.parent.ref, key), GraphEdge(item.parent.ref, key, "base"))

    visit(root, 0, frozenset())
    deepest = max(n.depth for n in nodes.values())
    columns: dict[int, list[GraphNode]] = {}
    for node in nodes.values():
        columns.setdefault(node.depth, []).append(node)
    tallest = max(len(c) for c in columns.values())
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP
    for depth, column in columns.items():
        column.sort(key=lambda n: (n.kind != "run", n.kind, n.label))
        top = (height - (len(column) * NODE_H + (len(column) - 1) * ROW_GAP)) / 2
        for index, node in enumerate(column):
            node.x = PAD + (deepest - depth) * (NODE_W + COL_GAP)
            node.y = top + index * (NODE_H + ROW_GAP)
    for edge in edges.values():
        a, b = nodes[edge.source], nodes[edge.target]
        x1, y1, x2, y2 = a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2
        bend = max((x2 - x1) / 2, 20)
        edge.path = f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    width = PAD * 2 + (deepest + 1) * NODE_W + deepest * COL_GAP
    return Graph(nodes=list(nodes.values()), edges=list(edges.values()), width=width, height=height)
