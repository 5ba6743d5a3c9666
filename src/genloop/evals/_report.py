"""Reports of an evaluation run: a terminal table, Markdown, self-contained HTML, JSON and JUnit XML."""

from __future__ import annotations

import html
import io
import json
from typing import Any
from xml.etree import ElementTree as ET

from genloop.errors import InvalidInput
from genloop.evals._schemas import EvalItem, EvalResult

__all__ = ["FORMATS", "render_report"]

FORMATS = ("table", "markdown", "html", "json", "junit")


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _rows(result: EvalResult) -> list[list[str]]:
    rows = []
    for cand, per in result.aggregates.items():
        for metric, agg in per.items():
            ci = f"[{_num(agg.ci_low)}, {_num(agg.ci_high)}]" if agg.ci_low is not None else "-"
            rows.append([cand, metric, _num(agg.value), ci, str(agg.n), agg.method])
    return rows


def _pair_rows(result: EvalResult) -> list[list[str]]:
    return [[p.judge, f"{p.candidate_a} vs {p.candidate_b}", f"{p.wins}/{p.ties}/{p.losses}",
             p.win_rate_of or p.candidate_a, _num(p.win_rate),
             f"[{_num(p.ci_low)}, {_num(p.ci_high)}]", _num(p.consistency), str(p.unparsed)] for p in result.pairwise]


_HEAD = ["candidate", "metric", "value", "95% CI", "n", "method"]
_PAIR_HEAD = ["judge", "pair", "W/T/L", "win rate of", "win rate", "95% CI", "consistency", "unparsed"]


def _header(result: EvalResult) -> list[str]:
    lines = [f"run {result.run_id} ({result.name}): {result.status}" + (f", {result.reason}" if result.reason else ""),
             f"dataset {result.dataset}; items {result.completed_items}/{result.planned_items} done, "
             f"{result.error_items} in error; cost ${result.cost:.4f} (what its model calls cost; "
             f"${result.spent:.4f} of it spent now, the rest answered from the call cache)"]
    if result.error:
        lines.append(f"error: {result.error}")
    lines.extend(w for w in result.warnings if w.startswith("contamination:"))
    return lines


def _markdown(result: EvalResult) -> str:
    def table(head: list[str], rows: list[list[str]]) -> list[str]:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return out

    lines = [f"# Evaluation {result.name}", "", *(f"- {line}" for line in _header(result)), "", "## Metrics", ""]
    lines += table(_HEAD, _rows(result))
    if result.pairwise:
        lines += ["", "## Pairwise", "", *table(_PAIR_HEAD, _pair_rows(result))]
    if result.ranking:
        lines += ["", "## Ranking (Bradley-Terry)", "", *table(
            ["rank", "candidate", "strength", "95% CI"],
            [[str(r.rank), r.candidate, _num(r.strength), f"[{_num(r.ci_low)}, {_num(r.ci_high)}]"]
             for r in result.ranking])]
    if result.gates:
        lines += ["", "## Gates", "", *(f"- {'PASS' if g.passed else 'FAIL'}: {g.message}" for g in result.gates)]
    if result.warnings:
        lines += ["", "## Warnings", "", *(f"- {w}" for w in result.warnings)]
    return "\n".join(lines) + "\n"


_CSS = ("body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}"
        "th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}"
        ".pass{color:#176c2f}.fail{color:#b3261e}pre{white-space:pre-wrap;margin:0;max-width:40rem}")


def _html(result: EvalResult, items: list[EvalItem]) -> str:
    def table(head: list[str], rows: list[list[str]]) -> str:
        cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"

    esc = [[html.escape(c) for c in row] for row in _rows(result)]
    parts = [f"<h1>Evaluation {html.escape(result.name)}</h1>",
             *(f"<p>{html.escape(line)}</p>" for line in _header(result)), "<h2>Metrics</h2>", table(_HEAD, esc)]
    if result.pairwise:
        parts += ["<h2>Pairwise</h2>", table(_PAIR_HEAD, [[html.escape(c) for c in r] for r in _pair_rows(result)])]
    if result.gates:
        parts.append("<h2>Gates</h2><ul>" + "".join(
            f"<li class=\"{'pass' if g.passed else 'fail'}\">{html.escape(g.message)}</li>" for g in result.gates)
            + "</ul>")
    if result.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings)
                     + "</ul>")
    rows = [[html.escape(i.example_id), html.escape(i.candidate), f"<pre>{html.escape(_short(i.inputs))}</pre>",
             f"<pre>{html.escape(i.output or '')}</pre>", f"<pre>{html.escape(_short(i.reference))}</pre>",
             html.escape(", ".join(f"{k}={_num(v)}" for k, v in i.scores.items())), html.escape(i.error or "")]
            for i in items[:500]]
    parts += [f"<h2>Items ({len(items)}{', first 500' if len(items) > 500 else ''})</h2>",
              table(["example", "candidate", "inputs", "output", "reference", "scores", "error"], rows)]
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(result.name)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def _short(value: Any, limit: int = 600) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def _junit(result: EvalResult, items: list[EvalItem]) -> str:
    suite = ET.Element("testsuite", name=f"genloop-eval-{result.name}", tests="0", failures="0", errors="0")
    failures = errors = 0
    cases: list[ET.Element] = []
    for gate in result.gates:
        case = ET.Element("testcase", classname=f"eval.{result.name}.gates", name=gate.gate)
        if not gate.passed:
            ET.SubElement(case, "failure", message=gate.message).text = gate.message
            failures += 1
        cases.append(case)
    for item in items:
        if item.status == "error":
            case = ET.Element("testcase", classname=f"eval.{result.name}.items",
                              name=f"{item.candidate}/{item.example_id}/{item.repeat}")
            ET.SubElement(case, "error", message=(item.error or "")[:500]).text = item.error
            errors += 1
            cases.append(case)
    run_case = ET.Element("testcase", classname=f"eval.{result.name}", name="run")
    if result.status != "succeeded":
        ET.SubElement(run_case, "failure", message=result.error or result.status).text = result.error
        failures += 1
    cases.insert(0, run_case)
    suite.extend(cases)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    ET.SubElement(suite, "system-out").text = _markdown(result)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _table(result: EvalResult) -> str:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=io.StringIO(), width=160, record=True)
    for line in _header(result):
        console.print(line, markup=False, highlight=False)
    table = Table(title="metrics")
    for head in _HEAD:
        table.add_column(head)
    for row in _rows(result):
        table.add_row(*row)
    console.print(table)
    if result.pairwise:
        pairs = Table(title="pairwise")
        for head in _PAIR_HEAD:
            pairs.add_column(head)
        for row in _pair_rows(result):
            pairs.add_row(*row)
        console.print(pairs)
    for gate in result.gates:
        console.print(f"gate {gate.message}", markup=False, highlight=False, soft_wrap=True)
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    return console.export_text()


def render_report(result: EvalResult, format: str, *, items: list[EvalItem] | None = None,
                  notes: list[str] | None = None) -> str:
    """The report text for ``result`` in ``format`` (one of :data:`FORMATS`).

    ``notes`` are added to the result's warnings for this rendering; those starting ``contamination:`` (found
    between a candidate's training data and the eval dataset, ``genloop.quality.contamination_notes``) are
    shown in the header of every format.
    """
    items = items or []
    if notes:
        result = result.model_copy(update={"warnings": [*result.warnings, *notes]})
    if format == "markdown":
        return _markdown(result)
    if format == "html":
        return _html(result, items)
    if format == "json":
        body = {"result": result.model_dump(mode="json"), "items": [i.model_dump(mode="json") for i in items]}
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if format == "junit":
        return _junit(result, items)
    if format == "table":
        return _table(result)
    raise InvalidInput(f"unknown report format {format!r}", hint=f"use one of: {', '.join(FORMATS)}")
