"""Monitoring: online evaluators on production traces, drift, monitors, alerts and webhooks (issue 15)."""
