"""The model registry: provider models, checkpoints, adapters, merged and quantized models.

Versions are immutable; aliases (``champion``, ``production``) move, and a version's status goes
draft -> reviewed -> approved -> retired, each change audited with its reason.
"""

from genloop.models._schemas import (
    MODEL_KINDS,
    MODEL_STATUSES,
    STATUS_TRANSITIONS,
    ModelDetail,
    ModelInfo,
    ModelVersion,
    RegisterModel,
    StatusChange,
)
from genloop.models._service import ModelService

__all__ = [
    "MODEL_KINDS",
    "MODEL_STATUSES",
    "STATUS_TRANSITIONS",
    "ModelDetail",
    "ModelInfo",
    "ModelService",
    "ModelVersion",
    "RegisterModel",
    "StatusChange",
]
