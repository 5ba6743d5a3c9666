"""Shares the ``twin`` fixture (services in-process, then over REST) with the deployments tests."""

from deployments.conftest import sqlite_env, twin  # noqa: F401 - fixtures re-exported
