"""Monitoring: online evaluators on production traces, drift, monitors, alerts and webhooks (issue 15).

- :class:`EvaluatorService`: online evaluators (a computed metric or a pointwise judge on a deterministic
  sample of a deployment's traces, after a delay, within a budget); scores become feedback (source ``judge``).
- :class:`DriftService`: a recent window against a reference window or a dataset version, one test per signal.
- :class:`MonitorService`: rules over gateway, feedback, judge and drift series; alert history; webhooks.
- :class:`MonitoringWorker`: ``tick()`` runs evaluators, monitors and deliveries (the server's background
  thread, the scheduler, or ``genloop monitoring run-once``).
"""

from genloop.monitoring._evaluators import EvaluatorService
from genloop.monitoring._monitors import DriftService, MonitorService
from genloop.monitoring._online import in_sample
from genloop.monitoring._schemas import (
    AlertInfo,
    DeliveryInfo,
    DriftReport,
    DriftSignal,
    EvaluatorInfo,
    EvaluatorSpec,
    JudgeConfig,
    MonitorInfo,
    MonitorSpec,
    ScorePoint,
    TickReport,
    Webhook,
)
from genloop.monitoring._worker import MonitoringWorker, start_monitoring

__all__ = ["AlertInfo", "DeliveryInfo", "DriftReport", "DriftService", "DriftSignal", "EvaluatorInfo",
           "EvaluatorService", "EvaluatorSpec", "JudgeConfig", "MonitorInfo", "MonitorService", "MonitorSpec",
           "MonitoringWorker", "ScorePoint", "TickReport", "Webhook", "in_sample", "start_monitoring"]
