"""Governance (issue 13): promotion policies, reviews that gate every promotion, and model cards.

A project declares per target (a model alias, a prompt label) what a promotion needs
(:class:`PolicySpec`: evaluation gates, no regression, a safety evaluation, a bias check, a reviewer who is
not the author); :class:`ReviewService` gathers the evidence and records the one decision, and approval
moves the alias. The guard registered through ``register_promotion_guards`` refuses any other move of a
protected alias or label with :class:`genloop.errors.Conflict`. :class:`ModelCardService` writes
model cards from the registry.
"""

from genloop.governance._cards import ModelCardService, render_card
from genloop.governance._erasure import ErasureResult, erase
from genloop.governance._policies import PolicyService
from genloop.governance._retention import RetentionInfo, RetentionRun, RetentionService
from genloop.governance._retirement import RetirementService
from genloop.governance._reviews import ReviewService
from genloop.governance._schemas import Check, Evidence, ModelCard, PolicyInfo, ReviewInfo, ReviewRequest
from genloop.governance._spec import BiasRule, EvalRule, PolicySpec, SafetyRule, Target, load_policy_spec

__all__ = [
    "BiasRule",
    "Check",
    "ErasureResult",
    "EvalRule",
    "Evidence",
    "ModelCard",
    "ModelCardService",
    "PolicyInfo",
    "PolicyService",
    "PolicySpec",
    "RetentionInfo",
    "RetentionRun",
    "RetentionService",
    "RetirementService",
    "ReviewInfo",
    "ReviewRequest",
    "ReviewService",
    "SafetyRule",
    "Target",
    "erase",
    "load_policy_spec",
    "render_card",
]
