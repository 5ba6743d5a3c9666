"""Shares the ``twin`` fixture and the gateway fixtures with the tracing tests."""

from deployments.conftest import sqlite_env, twin  # noqa: F401 - fixtures re-exported
from gateway.conftest import gateway_factory  # noqa: F401
