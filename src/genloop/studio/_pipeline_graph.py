"""A pipeline run's steps as a graph, laid out on the server with the lineage graph's shapes (``_graph.py``):
one column per depth (the longest chain of dependencies before a step), edges pointing right."""

from __future__ import annotations

from genloop.pipelines import PipelineRun
from genloop.studio._graph import COL_GAP, NODE_H, NODE_W, PAD, ROW_GAP, Graph, GraphEdge, GraphNode

__all__ = ["layout_steps"]


def layout_steps(run: PipelineRun, project: str) -> Graph:
    """Each step a box (its kind and status; class ``node-<status>``) linking to its log on the run's page."""
    deps = {s.name: [d for d in s.depends_on if any(o.name == d for o in run.steps)] for s in run.steps}
    depth: dict[str, int] = {}
    for step in run.steps:  # steps are stored in dependency order
        depth[step.name] = max((depth.get(d, 0) + 1 for d in deps[step.name]), default=0)
    nodes = {s.name: GraphNode(s.name, s.status, s.name, f"{s.kind} · {s.status}",
                               f"/projects/{project}/pipeline-runs/{run.id}#step-{s.name}", depth=depth[s.name])
             for s in run.steps}
    columns: dict[int, list[GraphNode]] = {}
    for node in nodes.values():
        columns.setdefault(node.depth, []).append(node)
    tallest = max((len(c) for c in columns.values()), default=1)
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP
    for d, column in columns.items():
        top = (height - (len(column) * NODE_H + (len(column) - 1) * ROW_GAP)) / 2
        for index, node in enumerate(column):
            node.x, node.y = PAD + d * (NODE_W + COL_GAP), top + index * (NODE_H + ROW_GAP)
    edges = []
    for name, before in deps.items():
        for dep in before:
            a, b = nodes[dep], nodes[name]
            x1, y1, x2, y2 = a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2
            bend = max((x2 - x1) / 2, 20)
            edges.append(GraphEdge(dep, name, "then", f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} "
                                                       f"{x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"))
    deepest = max(depth.values(), default=0)
    width = PAD * 2 + (deepest + 1) * NODE_W + deepest * COL_GAP
    return Graph(nodes=list(nodes.values()), edges=edges, width=width, height=height)
