"""Deployments: a public model name bound to variants (prompt + model + weight), fallbacks and policies.

Each version is an immutable spec; the gateway serves the latest version of each deployment.
"""

from genloop.deployments._schemas import (
    CacheSpec,
    CircuitBreakerSpec,
    DeploymentInfo,
    DeploymentSpec,
    RetrySpec,
    VariantSpec,
)
from genloop.deployments._service import DeploymentService, parse_model_target

__all__ = [
    "CacheSpec",
    "CircuitBreakerSpec",
    "DeploymentInfo",
    "DeploymentService",
    "DeploymentSpec",
    "RetrySpec",
    "VariantSpec",
    "parse_model_target",
]
