"""Checks of a pipeline spec before anything runs: step names, kinds, parameters, references, cycles.

Each problem is an :class:`InvalidInput` naming the step and the fix. :func:`check_spec` needs only the spec;
:func:`check_refs` also asks the store whether the versions the spec names exist.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from genloop.errors import InvalidInput, NotFound, did_you_mean
from genloop.pipelines._kinds import StepKind, get_kind, ref_slots
from genloop.pipelines._spec import EXPRESSION, PipelineSpec, StepSpec, expressions, valid_step_name

__all__ = ["check_refs", "check_spec", "dependencies", "topological_order"]


def check_spec(spec: PipelineSpec) -> dict[str, StepKind]:
    """Every structural check; returns each step's kind. Raises :class:`InvalidInput` at the first problem."""
    seen: set[str] = set()
    found: dict[str, StepKind] = {}
    for step in spec.steps:
        if not valid_step_name(step.name):
            raise InvalidInput(f"invalid step name {step.name!r}",
                               hint="a letter, then up to 63 letters, digits, '_' or '-'")
        if step.name in seen:
            raise InvalidInput(f"two steps are named {step.name!r}", hint="give every step its own name")
        seen.add(step.name)
        found[step.name] = get_kind(step.kind, step=step.name)
    for step in spec.steps:
        _check_params(step, found[step.name])
        _check_expressions(step, spec, found)
        for other in step.depends_on:
            if other not in seen:
                raise InvalidInput(f"step {step.name!r} depends on unknown step {other!r}"
                                   f"{did_you_mean(other, seen)}", hint=f"steps: {', '.join(sorted(seen))}")
    topological_order(spec)
    return found


def _check_params(step: StepSpec, kind: StepKind) -> None:
    if kind.params is None:
        return
    fields = kind.params.model_fields
    for key, value in step.params.items():
        if key not in fields:
            raise InvalidInput(f"step {step.name!r}: unknown parameter {key!r} for kind {kind.name!r}"
                               f"{did_you_mean(key, fields)}", hint=f"{kind.name} takes: {', '.join(fields)}")
        if any(True for _ in expressions(value)):
            continue  # typed once resolved, when the step runs
        try:
            TypeAdapter(fields[key].annotation).validate_python(value)
        except ValidationError as exc:
            raise InvalidInput(f"step {step.name!r}: parameter {key!r}: {exc.errors()[0]['msg']}",
                               hint=f"see {kind.name}'s parameters: genloop pipelines kinds") from exc
    missing = [k for k, f in fields.items() if f.is_required() and k not in step.params]
    if missing:
        raise InvalidInput(f"step {step.name!r}: missing parameter(s) {', '.join(missing)} for kind {kind.name!r}",
                           hint=f"add them under the step's params: {', '.join(missing)}")


def _check_expressions(step: StepSpec, spec: PipelineSpec, found: dict[str, StepKind]) -> None:
    for root, path in expressions(step.params):
        text = f"${{{root}{'.' + path if path else ''}}}"
        if root == "params":
            if path not in spec.params:
                raise InvalidInput(f"step {step.name!r}: {text} names an undeclared pipeline parameter"
                                   f"{did_you_mean(path, spec.params)}",
                                   hint=f"declare it under params: (declared: {', '.join(spec.params) or 'none'})")
        elif root == "trigger":
            if not path:
                raise InvalidInput(f"step {step.name!r}: write ${{trigger.KEY}}, not {text}")
        elif root == "steps":
            other, _, output = path.partition(".")
            if other not in found:
                raise InvalidInput(f"step {step.name!r}: {text} refers to unknown step {other!r}"
                                   f"{did_you_mean(other, found)}", hint=f"steps: {', '.join(found)}")
            if other == step.name:
                raise InvalidInput(f"step {step.name!r}: {text} refers to the step itself",
                                   hint="a step reads the outputs of steps before it")
            outputs = found[other].outputs
            if output not in outputs:
                raise InvalidInput(f"step {step.name!r}: {text}: step {other!r} (kind {found[other].name}) has no "
                                   f"output {output!r}{did_you_mean(output, outputs)}",
                                   hint=f"its outputs: {', '.join(outputs) or 'none'}")
        else:
            raise InvalidInput(f"step {step.name!r}: unknown expression {text}",
                               hint="write ${steps.STEP.OUTPUT}, ${params.NAME} or ${trigger.KEY}")


def dependencies(step: StepSpec) -> list[str]:
    """The steps ``step`` must wait for: those it references and those in ``depends_on``, in order."""
    names = [path.partition(".")[0] for root, path in expressions(step.params) if root == "steps"]
    return list(dict.fromkeys([*names, *step.depends_on]))


def topological_order(spec: PipelineSpec) -> list[str]:
    """Step names with every step after its dependencies (ties keep the spec's order); a cycle is refused.

    Iterative depth-first search, so a long chain cannot exhaust the interpreter's stack."""
    deps = {step.name: [d for d in dependencies(step)] for step in spec.steps}
    state: dict[str, int] = {}  # 1 on the current path, 2 placed
    order: list[str] = []
    for root in deps:
        if state.get(root) == 2:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            name, index = stack[-1]
            children = [d for d in deps[name] if d in deps]
            if index < len(children):
                stack[-1] = (name, index + 1)
                child = children[index]
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    raise InvalidInput(f"the pipeline has a cycle: {' -> '.join(cycle)}",
                                       hint=f"remove one of these references or depends_on entries "
                                            f"(step {cycle[-2]!r})")
                if state.get(child) != 2:
                    state[child] = 1
                    stack.append((child, 0))
                    path.append(child)
                continue
            stack.pop()
            path.pop()
            state[name] = 2
            order.append(name)
    return order


def check_refs(resolve: Any, spec: PipelineSpec, params: dict[str, Any], found: dict[str, StepKind]) -> None:
    """Every literal version reference (and every ``${params...}`` one) must resolve: ``resolve(type, ref)``
    raises :class:`NotFound` or :class:`InvalidInput` otherwise; re-raised naming the step."""
    for step in spec.steps:
        for path, entity in found[step.name].refs.items():
            for container, key in ref_slots(step.params, path):
                item = container[key]
                if not isinstance(item, str) or (entity == "model" and ":" in item):
                    continue
                match = EXPRESSION.fullmatch(item.strip())
                if match and match.group(1) == "params":
                    item = params.get(match.group(2).lstrip("."))
                    if not isinstance(item, str):
                        continue
                elif EXPRESSION.search(item):
                    continue  # a step output or the trigger: known when the step runs
                try:
                    resolve(entity, item)
                except (InvalidInput, NotFound) as exc:
                    raise InvalidInput(f"step {step.name!r}: parameter {path!r}: {exc}",
                                       hint=f"check the {entity} reference (genloop {entity}s list)") from exc
