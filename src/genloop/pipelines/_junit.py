"""A JUnit XML report of a pipeline run for CI systems: one test case per gate checked (and per failed step)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from genloop.pipelines._schemas import PipelineRun

__all__ = ["junit_xml"]


def junit_xml(run: PipelineRun) -> str:
    """``<testsuites>`` with one suite for the run: each gate of each step a test case (failed gates as
    ``<failure>``); a failed step that checked no gate is one ``<error>`` case, a skipped step a skipped case."""
    suite = ET.Element("testsuite", name=f"pipeline {run.pipeline}@{run.version}", id=run.id)
    tests = failures = errors = skipped = 0
    for step in run.steps:
        gates = step.outputs.get("gates") if isinstance(step.outputs, dict) else None
        if isinstance(gates, list) and gates:
            for gate in gates:
                tests += 1
                case = ET.SubElement(suite, "testcase", classname=f"{run.pipeline}.{step.name}",
                                     name=str(gate.get("gate")))
                if not gate.get("passed"):
                    failures += 1
                    failure = ET.SubElement(case, "failure", message=str(gate.get("message", "")))
                    failure.text = f"actual {gate.get('actual')} threshold {gate.get('threshold')}"
        elif step.status == "failed":
            tests += 1
            errors += 1
            case = ET.SubElement(suite, "testcase", classname=f"{run.pipeline}.{step.name}", name=step.kind)
            ET.SubElement(case, "error", message=step.error or "failed").text = step.log[-4000:]
        elif step.status == "skipped" and step.kind == "gate":
            tests += 1
            skipped += 1
            case = ET.SubElement(suite, "testcase", classname=f"{run.pipeline}.{step.name}", name=step.kind)
            ET.SubElement(case, "skipped", message=step.error or "not run")
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="genloop pipelines")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
