"""Schemas of the monitoring package, shared by the services, REST and the SDK."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["AlertInfo", "DeliveryInfo", "DriftReport", "DriftSignal", "EvaluatorInfo", "EvaluatorSpec",
           "JudgeConfig", "MonitorInfo", "MonitorSpec", "ScorePoint", "TickReport", "Webhook", "refused_address"]

Level = Literal["ok", "warning", "alert", "no_data"]


def _name(value: str | None) -> str | None:
    """A deployment or variant name must be one GenLoop can hold (see ``genloop.refs``), or None."""
    from genloop.errors import InvalidInput
    from genloop.refs import validate_name

    if value is not None:
        try:
            validate_name(value)
        except InvalidInput as exc:
            raise ValueError(f"{exc.message} ({exc.hint})") from None
    return value


class JudgeConfig(BaseModel):
    """A pointwise, reference-free rubric judge (the evaluation engine's ``PointwiseJudge``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: str = Field(description="Judge model: 'provider:model' or a registry model NAME@ref.")
    rubric: str | None = Field(default=None, description="What a good answer is; default the engine's rubric.")
    anchors: dict[int, str] | None = None
    scale: tuple[int, int] = (1, 5)
    prompt: str | None = Field(default=None, description="Judge prompt NAME@ref; default the built-in one.")
    params: dict[str, Any] = Field(default_factory=lambda: {"temperature": 0.0})


class EvaluatorSpec(BaseModel):
    """An online evaluator: which traces (deployment, variant, filter, sample, delay), how to score, and its budget.

    The sample is deterministic by trace id (a hash of the id below ``sample_rate``), the same for every
    evaluator, so two evaluators at 10% score the same 10% of traffic.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(description="Evaluator name; also the feedback name its scores are recorded under.")
    deployment: str = Field(description="The deployment whose traces are scored.")
    variant: str | None = Field(default=None, description="Only this variant's traces (default: every variant).")
    status: str | None = Field(default="ok", description="Only traces with this status (default ok; None: any).")
    model: str | None = Field(default=None, description="Only traces answered by this model.")
    metric: str | dict[str, Any] | None = Field(default=None, description="A computed metric (name or mapping).")
    judge: JudgeConfig | None = Field(default=None, description="A pointwise rubric judge.")
    sample_rate: float = Field(default=0.1, gt=0, le=1, description="Share of traces scored (by trace-id hash).")
    delay_s: float = Field(default=30.0, ge=0, le=86400, description="Score a trace this long after it started.")
    max_calls_per_minute: int = Field(default=60, ge=1, le=100_000, description="Judge calls per minute at most.")
    max_cost_per_day: float | None = Field(default=None, ge=0, description="USD of judge calls per UTC day at most.")
    concurrency: int = Field(default=8, ge=1, le=256, description="Judge calls in flight at once.")

    _names = field_validator("deployment", "variant")(lambda value: _name(value))

    @model_validator(mode="after")
    def _one_scorer(self) -> EvaluatorSpec:
        if (self.metric is None) == (self.judge is None):
            raise ValueError("give exactly one of metric and judge")
        return self


class EvaluatorInfo(BaseModel):
    """A stored evaluator with its progress: cursor, traces scored, today's spend and the last error."""

    id: int
    project: str
    name: str
    spec: EvaluatorSpec
    enabled: bool
    cursor_time: dt.datetime | None = None
    cursor_id: str | None = None
    scored: int = 0
    spent_today_usd: float = 0.0
    last_error: str | None = None
    created_at: dt.datetime
    created_by: str = ""


class ScorePoint(BaseModel):
    """The mean score of one variant in one time bucket."""

    bucket: dt.datetime
    variant: str | None
    count: int
    mean: float


class Webhook(BaseModel):
    """Where a monitor's alerts go: a generic JSON POST or Slack's incoming-webhook shape (``{"text": ...}``).

    Only the alert is sent: no server credential or header is ever attached to a webhook request.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    url: str = Field(description="http(s) URL of the receiver")
    format: Literal["json", "slack"] = "json"

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        from urllib.parse import urlparse

        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"webhook url {value!r} must be an http(s) URL")
        if parsed.username or parsed.password:
            raise ValueError("webhook url must not carry credentials")
        refused = refused_address(parsed.hostname)
        if refused:
            raise ValueError(f"webhook url {value!r} points at {refused}")
        return value


#: Addresses of cloud metadata services outside the link-local range (Alibaba's; AWS's IPv6 one).
_METADATA = frozenset({"100.100.100.200", "fd00:ec2::254"})


def refused_address(host: str) -> str | None:
    """Why a webhook may not be sent to ``host`` (an IP address; names are checked once resolved), else None.

    Link-local addresses (169.254.0.0/16, fe80::/10: where cloud metadata services hand out credentials),
    metadata services elsewhere, multicast and unspecified addresses are refused; loopback and private
    networks are allowed (a team's own alert receivers live there).
    """
    import ipaddress

    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    if str(ip) in _METADATA or ip.is_link_local:
        return f"a link-local or cloud metadata address ({ip}), which a webhook may not reach"
    if ip.is_multicast or ip.is_unspecified:
        return f"a multicast or unspecified address ({ip})"
    return None


class MonitorSpec(BaseModel):
    """A rule over one series: ``signal`` over the last ``window_s`` compared with the thresholds.

    Signals: ``error_rate``, ``p95_latency_ms``, ``cost_per_hour``, ``rate_limited`` (429 answers),
    ``requests``, ``guardrail_hit_rate``, ``feedback_mean:NAME`` (any feedback name, ``judge`` scores
    included: an evaluator's scores are feedback named after it), ``drift:SIGNAL`` (the drift statistic of a
    drift signal, recent window against the window before it).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str
    signal: str
    deployment: str | None = None
    variant: str | None = None
    baseline_variant: str | None = Field(
        default=None, description="Compare with this variant: the value is variant's minus baseline's (e.g. a "
        "canary's judge score minus the main variant's); no data unless both have min_count points.")
    window_s: int = Field(default=300, ge=10, le=30 * 86400)
    direction: Literal["above", "below"] = Field(default="above", description="Which side of a threshold is bad.")
    warning: float | None = None
    alert: float | None = None
    min_count: int = Field(default=1, ge=1, le=1_000_000_000, description="Fewer data points than this in the window is no data.")
    no_data: Literal["ok", "warning", "alert", "no_data", "keep"] = Field(
        default="keep", description="The level when the window has no data ('keep': stay at the last level).")
    renotify_s: int | None = Field(default=3600, ge=10, le=366 * 86400, description="Notify again while not ok (None: never).")
    webhooks: list[Webhook] = Field(default_factory=list)

    _names = field_validator("deployment", "variant", "baseline_variant")(lambda value: _name(value))

    @model_validator(mode="after")
    def _threshold(self) -> MonitorSpec:
        if self.warning is None and self.alert is None:
            raise ValueError("give a warning or an alert threshold (or both)")
        if self.baseline_variant is not None and (self.variant is None or self.deployment is None):
            raise ValueError("baseline_variant needs a deployment and a variant to compare with it")
        return self


class MonitorInfo(BaseModel):
    """A stored monitor and its state; webhook URLs are shown as scheme and host only (``https://host/…``)."""

    id: int
    project: str
    name: str
    spec: MonitorSpec
    enabled: bool
    state: Level
    value: float | None = None
    evaluated_at: dt.datetime | None = None
    notified_at: dt.datetime | None = None
    created_at: dt.datetime


class AlertInfo(BaseModel):
    """One entry of the alert history: a monitor ``fired`` (entered warning, alert or no data), ``resolved``
    (back to ok) or was re-notified (``renotify``)."""

    id: int
    project: str
    monitor: str
    event: Literal["fired", "resolved", "renotify"]
    level: Level
    previous: Level
    value: float | None = None
    threshold: float | None = None
    count: int = 0
    message: str = ""
    created_at: dt.datetime


class DeliveryInfo(BaseModel):
    """One webhook delivery of an alert."""

    id: int
    alert_id: int
    url: str
    format: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None = None
    sent_at: dt.datetime | None = None


class DriftSignal(BaseModel):
    """One signal compared: its test, statistic, p-value, threshold (stated) and verdict, with sample sizes."""

    signal: str
    test: str
    statistic: float | None = None
    p_value: float | None = None
    threshold: str = ""
    verdict: Literal["stable", "warning", "drift", "no_data"]
    reference_count: int = 0
    recent_count: int = 0
    detail: dict[str, Any] = Field(default_factory=dict)


class DriftReport(BaseModel):
    """Drift of a deployment's recent traces against a reference window or a dataset version."""

    project: str
    deployment: str | None
    reference: str
    recent: str
    signals: list[DriftSignal]
    drifted: list[str]


class TickReport(BaseModel):
    """What one pass of the monitoring worker did."""

    scored: int = 0
    skipped: int = 0
    evaluator_errors: dict[str, str] = Field(default_factory=dict)
    monitors: int = 0
    alerts: int = 0
    delivered: int = 0
    delivery_failures: int = 0
    exported: int = 0
    export_error: str | None = None
