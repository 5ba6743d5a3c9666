"""Bad input, nothing lost: missing references, wrong kinds and bad rows fail before a run starts; a run that
is interrupted, crashes or runs out of memory is finished failed or cancelled and registers nothing."""

from __future__ import annotations

from typing import Any

import pytest
from tests.tuning.conftest import PEFT_CHECKPOINTING, spec

from genloop.errors import InvalidInput, NotFound

pytestmark = [pytest.mark.filterwarnings(PEFT_CHECKPOINTING)]


def _nothing_happened(tuning: Any) -> None:
    assert tuning.runs.list(kind="tune").total == 0
    assert [m.name for m in tuning.models.list().items] == ["tiny"]


@pytest.mark.parametrize(("fields", "error", "needle"), [
    ({"train": "missing"}, NotFound, "training dataset 'missing' does not resolve"),
    ({"base": "ghost@3"}, NotFound, "base model 'ghost@3' does not resolve"),
    ({"eval_dataset": "nope"}, NotFound, "eval dataset 'nope' does not resolve"),
    ({"eval": {"dataset": "gone"}}, NotFound, "evaluation dataset 'gone' does not resolve"),
    ({"train": "prefs"}, InvalidInput, "prefs@1 is a preference dataset; method lora needs a chat or completion"),
    ({"method": "dpo"}, InvalidInput, "qa@1 is a chat dataset; method dpo needs a preference dataset"),
    ({"train": "golden"}, InvalidInput, "golden@1 is a eval dataset"),
    ({"max_length": 12}, InvalidInput, "24 rows cannot train lora: row 1 (*)"),
])
def test_bad_specs_fail_before_any_run(tuning: Any, fields: dict[str, Any], error: type, needle: str) -> None:
    with pytest.raises(error) as err:
        tuning.run(spec(**fields))
    assert needle in str(err.value)
    _nothing_happened(tuning)


def test_bad_rows_are_listed_with_numbers_before_training(tuning: Any) -> None:
    rows = [{"prompt": "Q?", "chosen": "A.", "rejected": "A."}, {"prompt": "Q?", "chosen": "A.", "rejected": "B."},
            {"prompt": "Q2?", "chosen": "C.", "rejected": "C."}]
    tuning.datasets.create("bad-prefs", rows, kind="preference")
    with pytest.raises(InvalidInput) as err:
        tuning.run(spec(method="dpo", train="bad-prefs"))
    assert "2 rows cannot train dpo: row 1 (chosen): chosen equals rejected" in str(err.value)
    assert "row 3 (chosen)" in str(err.value)
    assert [p["row"] for p in err.value.details["problems"]] == [1, 3]
    _nothing_happened(tuning)


def test_a_base_without_full_weights_is_refused(tuning: Any) -> None:
    tiny = tuning.models.get("tiny")
    tuning.models.register("remote", kind="provider", uri="openai:gpt-4o-mini")
    tuning.models.register("ad", kind="adapter", uri=tiny.uri, base="tiny")
    with pytest.raises(InvalidInput, match="merge it first: genloop models merge ad@1"):
        tuning.run(spec(base="ad"))
    with pytest.raises(InvalidInput, match="remote@1 is a provider model"):
        tuning.run(spec(base="remote"))


def test_qlora_on_a_machine_without_cuda_names_the_fix(tuning: Any) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(InvalidInput) as err:
        tuning.run(spec(method="qlora"))
    assert "QLoRA needs a CUDA GPU" in str(err.value) and "use method 'lora' on CPU" in str(err.value)
    _nothing_happened(tuning)


class _Raise:
    """A trainer callback that raises ``exc`` at step ``at``."""

    def __init__(self, exc: BaseException, at: int = 2) -> None:
        from transformers import TrainerCallback

        outer = self

        class Callback(TrainerCallback):  # type: ignore[misc]
            def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                if state.global_step >= outer.at:
                    raise outer.exc

        self.exc, self.at, self.callback = exc, at, Callback()


def _only_run(tuning: Any) -> Any:
    page = tuning.runs.list(kind="tune")
    assert page.total == 1
    return tuning.runs.get(page.items[0].id)


@pytest.mark.slow
def test_ctrl_c_mid_training_cancels_the_run_and_registers_nothing(tuning: Any) -> None:
    with pytest.raises(KeyboardInterrupt):
        tuning.run(spec(), callbacks=[_Raise(KeyboardInterrupt(), at=3).callback])
    run = _only_run(tuning)
    assert (run.status, run.error, run.outputs) == ("cancelled", "interrupted", [])
    assert "loss" in run.series_keys  # what was logged before the interruption is kept
    assert [m.name for m in tuning.models.list().items] == ["tiny"]
    assert not list((tuning.settings.resolved_home / "tmp" / "tuning").iterdir())  # the work folder is gone


@pytest.mark.slow
def test_a_crash_mid_training_fails_the_run_with_its_message(tuning: Any) -> None:
    with pytest.raises(RuntimeError, match="disk on fire"):
        tuning.run(spec(), callbacks=[_Raise(RuntimeError("disk on fire")).callback])
    run = _only_run(tuning)
    assert (run.status, run.error) == ("failed", "disk on fire")
    assert [m.name for m in tuning.models.list().items] == ["tiny"]


@pytest.mark.slow
def test_out_of_memory_names_the_knobs(tuning: Any) -> None:
    import torch

    with pytest.raises(InvalidInput) as err:
        tuning.run(spec(), callbacks=[_Raise(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"))
                                      .callback])
    text = str(err.value)
    assert text.startswith("training ran out of memory: CUDA out of memory")
    for knob in ("batch_size (now 8)", "max_length (now 96)", "gradient_accumulation_steps (now 1)",
                 "lora.r (now 16)", "gradient_checkpointing: true"):
        assert knob in text
    run = _only_run(tuning)
    assert run.status == "failed" and run.error is not None and "ran out of memory" in run.error
    assert [m.name for m in tuning.models.list().items] == ["tiny"]


@pytest.mark.slow
def test_a_failing_evaluation_registers_nothing(tuning: Any) -> None:
    with pytest.raises(InvalidInput, match="no column 'answer'"):
        tuning.run(spec(eval={"dataset": "golden", "reference_column": "answer"}))
    assert _only_run(tuning).status == "failed"
    assert [m.name for m in tuning.models.list().items] == ["tiny"]
