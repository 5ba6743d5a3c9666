"""Every ``yaml``, ``python`` and ``bash`` block of README.md and docs/*.md runs as written.

- ``yaml``: loaded by what reads that format (prompt, evaluation spec, deployment, tuning spec, guardrail
  policy); a deployment is created after what it names exists, and the gateway must be able to serve it.
- ``python``: executed (the SDK examples share one namespace; the OpenAI-client example calls a real server).
- ``bash``: every ``genloop`` command runs through the real CLI entry point, in order, on the test's store.

A block that needs something a test cannot have (a package install, Docker, a cluster) carries a marker on
the line before it, ``<!-- readme-test: skip REASON -->`` (shown as the skip reason); one whose commands need
data the README does not create carries ``<!-- readme-test: parse REASON -->``: its commands are parsed by the
CLI (every command, option and value must exist) but not run.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"(?:<!-- readme-test: (?P<mark>[^\n]*?) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)```", re.S)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    body: str
    mark: str

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}:{self.lang}"


def _blocks() -> list[Block]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("lang")) + 1
            found.append(Block(path, line, match["lang"], match["body"], match["mark"] or ""))
    return found


BLOCKS = [b for b in _blocks() if b.lang in ("yaml", "python", "bash")]


def test_every_code_block_is_tested() -> None:
    """A block in another language, or a marker without a reason, would escape the tests below."""
    for block in _blocks():
        if block.path.name == "architecture.md" and not block.lang:
            continue  # the layer diagram
        assert block.lang in ("yaml", "python", "bash"), f"{block.id}: untested block language {block.lang!r}"
        if block.mark:
            kind, _, reason = block.mark.partition(" ")
            assert kind in ("skip", "parse") and reason.strip(), f"{block.id}: marker needs a kind and a reason"
    assert sum(b.lang == "yaml" for b in BLOCKS) >= 4 and sum(b.lang == "bash" for b in BLOCKS) >= 4


# -- yaml ----------------------------------------------------------------------------------------------


def _prerequisites(store: Any) -> None:
    """What the README's deployment names: prompt support@production, model tiny@champion/@candidate, gpu-box."""
    from genloop.connections import ConnectionService
    from genloop.models import ModelService
    from genloop.prompts import PromptService

    prompts = PromptService(store)
    prompts.create("support", messages=[{"role": "user", "content": "{{ question }}"}], model="mock:echo")
    prompts.label("support@1", "production")
    models = ModelService(store)
    models.register("tiny", kind="provider", uri="mock:echo")
    models.alias("tiny@1", "champion")
    models.alias("tiny@1", "candidate")
    ConnectionService(store).create("gpu-box", provider="openai", base_url="http://127.0.0.1:9/v1")


def _run_yaml(block: Block, store: Any) -> None:
    data = yaml.safe_load(block.body)
    assert isinstance(data, dict), f"{block.id}: not a mapping"
    if "messages" in data or "template" in data:
        from genloop.prompts import PromptService

        PromptService(store).create_from_yaml("readme", block.body)
    elif "candidates" in data:
        from genloop.evals._gates import parse_gate
        from genloop.evals._spec import EvalSpec

        spec = EvalSpec.load(data)
        for gate in spec.gates:
            parse_gate(gate)
    elif "variants" in data:
        from genloop.deployments import DeploymentService
        from genloop.gateway._config import build_snapshot
        from genloop.settings import Settings

        _prerequisites(store)
        DeploymentService(store).create("readme", **data)
        snapshot = build_snapshot(store, Settings(), None, None)
        assert not snapshot.errors, f"{block.id}: the gateway cannot serve it: {snapshot.errors}"
        assert ("default", "readme") in snapshot.deployments
    elif "base" in data and "train" in data:
        from genloop.tuning._spec import load_spec

        load_spec(data)
    elif "prompt" in data and "metric" in data:
        from genloop.optimize import OptimizeSpec

        OptimizeSpec.load(data)
    elif "steps" in data:
        from genloop.pipelines import PipelineSpec
        from genloop.pipelines._validate import check_spec

        check_spec(PipelineSpec.load(data))
    elif "target" in data and "name" in data:
        from genloop.governance import load_policy_spec

        load_policy_spec(data)
    elif "sample_rate" in data and ("judge" in data or "metric" in data):
        from genloop.monitoring._schemas import EvaluatorSpec

        EvaluatorSpec.model_validate(data)
    elif "signal" in data and "window_s" in data:
        from genloop.monitoring._schemas import MonitorSpec

        MonitorSpec.model_validate(data)
    elif "rules" in data:
        from genloop.guardrails import load_policy

        load_policy(block.body)
    else:
        pytest.fail(f"{block.id}: no loader for a YAML block with keys {sorted(data)}")


# -- bash ----------------------------------------------------------------------------------------------


def _commands(body: str) -> list[list[str]]:
    """The shell words of each command (continuations joined, comments dropped, ``&&`` chains split)."""
    joined = re.sub(r"\\\n\s*", " ", body)
    commands: list[list[str]] = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        current: list[str] = []
        for word in words:
            if word in ("&&", ";", "||"):
                commands.append(current)
                current = []
            else:
                current.append(word)
        if current:
            commands.append(current)
    return [c for c in commands if c]


def _parse(args: list[str]) -> None:
    """Let the CLI parse ``args`` (commands, options, values) without running anything."""
    import typer

    from genloop.cli.main import app

    command: Any = typer.main.get_command(app)
    ctx = command.make_context("genloop", list(args))
    while hasattr(command, "resolve_command"):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)


def _run_bash(block: Block, cli: Any, parse_only: bool) -> None:
    for words in _commands(block.body):
        env = {}
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        assert words and words[0] == "genloop", (
            f"{block.id}: {' '.join(words)!r} is not a genloop command: run it here or mark the block "
            "<!-- readme-test: skip REASON -->")
        if parse_only:
            _parse(words[1:])
            continue
        result = cli(*words[1:])
        assert result.code == 0, f"{block.id}: {' '.join(words)} -> {result.code}: {result.err or result.out}"


# -- python --------------------------------------------------------------------------------------------


def _run_openai_example(block: Block, store: Any) -> None:
    """The gateway example, against a real server whose deployment ``support`` takes variable ``product``."""
    from genloop.deployments import DeploymentService
    from genloop.gateway import with_gateway
    from genloop.prompts import PromptService
    from genloop.server import BackgroundServer, create_app

    PromptService(store).create("support", messages=[{"role": "system", "content": "Support for {{ product }}."}],
                                model="mock:echo")
    DeploymentService(store).create("support", variants=[{"prompt": "support@1"}])
    with BackgroundServer(with_gateway(create_app(store), store)) as srv:
        code = block.body.replace("http://127.0.0.1:8000", srv.url)
        namespace: dict[str, Any] = {}
        exec(compile(code, str(block.path), "exec"), namespace)
    reply = namespace["reply"]
    assert reply.choices[0].message.content, reply


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block_runs(block: Block, store: Any, cli: Any) -> None:
    kind, _, reason = block.mark.partition(" ")
    if kind == "skip":
        pytest.skip(reason)
    if block.lang == "yaml":
        _run_yaml(block, store)
    elif block.lang == "bash":
        _run_bash(block, cli, parse_only=kind == "parse")
    elif "from openai import OpenAI" in block.body:
        _run_openai_example(block, store)
    elif "def test_" in block.body:
        _run_pytest_example(block, store)
    else:
        pytest.skip("an SDK example: run, in order and sharing names, by test_the_sdk_examples_run")


def _run_pytest_example(block: Block, store: Any) -> None:
    """The pytest-plugin example's gates parse, and name what the spec beside it can gate."""
    from genloop.evals._gates import parse_gate

    for gate in re.findall(r'"([^"]+[<>=][^"]+)"', block.body):
        parse_gate(gate)


def _sdk_blocks() -> list[str]:
    text = README.read_text()
    section = text[text.index("## SDK"):text.index("\n## ", text.index("## SDK") + 1)]
    return [b for b in re.findall(r"```python\n(.*?)```", section, flags=re.S)
            if "def test_" not in b and "from openai import" not in b]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
def test_the_sdk_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("trl")
    blocks = _sdk_blocks()
    assert len(blocks) >= 2  # the client, tuning
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "tiny-lora@1" in out and "'base':" in out


def test_the_first_command_installs_cpu_torch_before_the_train_extra() -> None:
    """A laptop must not get a CUDA build of torch (and ~15 nvidia-* wheels) from the first command."""
    first = next(b for b in BLOCKS if b.path == README and "genloop demo" in b.body)
    commands = [" ".join(c) for c in _commands(first.body)]
    cpu = next(i for i, c in enumerate(commands) if "torch" in c and "download.pytorch.org/whl/cpu" in c)
    train = next(i for i, c in enumerate(commands) if ".[train]" in c)
    assert cpu < train, commands
    text = README.read_text()
    for extra in ("train", "quality", "ray", "hf", "s3", "postgres", "redis"):
        assert f"| `{extra}` |" in text, f"the README does not say what the {extra} extra costs"


def test_tune_help_and_readme_name_every_method() -> None:
    """`genloop tune run --help`, the README's tuning spec and the spec's Method type agree."""
    import typing

    import typer

    from genloop.cli.main import app
    from genloop.tuning._spec import Method

    methods = typing.get_args(Method)
    command: Any = typer.main.get_command(app)
    help_text = command.commands["tune"].commands["run"].help
    readme = next(b.body for b in BLOCKS if b.path == README and b.body.startswith("base:"))
    line = next(line for line in readme.splitlines() if line.startswith("method:"))
    for method in methods:
        assert re.search(rf"\b{method}\b", help_text), f"tune run --help does not name {method}"
        assert re.search(rf"\b{method}\b", line.split("#", 1)[1]), f"the README's tuning spec does not name {method}"


def test_docs_point_only_inside_the_repository() -> None:
    """A relative link or a quoted path in README.md and docs/*.md names a file of this repository."""
    problems = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if "://" not in target and not (path.parent / target).resolve().is_relative_to(ROOT):
                problems.append(f"{path.name}: link {target} leaves the repository")
            elif "://" not in target and not (path.parent / target).exists():
                problems.append(f"{path.name}: link {target} does not exist")
        problems += [f"{path.name}: {p} is outside the repository" for p in re.findall(r"`(\.\./[^`]+)`", text)]
    assert not problems, "\n".join(problems)
