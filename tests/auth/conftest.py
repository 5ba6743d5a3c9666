"""Shares the ``twin`` fixture (services in-process, then over REST) with the deployments tests."""

from deployments.conftest import twin  # noqa: F401 - a fixture re-exported
