"""Pipelines: versioned specs of steps (data, tuning, evaluation, gates, promotion, deployment, notification,
plugin steps) run in dependency order, each step a GenLoop run with lineage, cached by content, resumable;
compiled to Kubeflow Pipelines v2 and Argo Workflows.
"""

from genloop.pipelines._kinds import StepKind, StepParams, kinds
from genloop.pipelines._runner import StepContext
from genloop.pipelines._schemas import STEP_STATUSES, PipelineInfo, PipelineRun, PipelineRunRequest, StepState
from genloop.pipelines._service import PipelineService
from genloop.pipelines._spec import Pipeline, PipelineSpec, StepHandle, StepSpec
from genloop.pipelines._trigger_schemas import Firing, TriggerInfo, TriggerSpec
from genloop.pipelines._triggers import TriggerService

__all__ = [
    "STEP_STATUSES",
    "Firing",
    "Pipeline",
    "PipelineInfo",
    "PipelineRun",
    "PipelineRunRequest",
    "PipelineService",
    "PipelineSpec",
    "StepContext",
    "StepHandle",
    "StepKind",
    "StepParams",
    "StepSpec",
    "StepState",
    "TriggerInfo",
    "TriggerService",
    "TriggerSpec",
    "kinds",
]
