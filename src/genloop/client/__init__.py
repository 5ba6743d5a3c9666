"""The SDK: ``genloop.Client()``, the same API in-process on a database or remotely on a server.

    client = genloop.Client()                         # GENLOOP_SERVER_URL, else the local store
    client = genloop.Client("sqlite:///my.db")         # in-process on a database URL
    client = genloop.Client("http://127.0.0.1:8000")   # a GenLoop server over REST

Each namespace (``datasets``, ``prompts``, ``models``, ``runs``, ``audit``, ``evals``, ``deployments``,
``traces``, ``feedback``, ``keys``, ``connections``, ``tuning``, ``quality``, ``review``, ``pipelines``) is either the domain service itself (in-process) or its REST
twin (tuning, like evaluation, always runs its engine in the calling process); both return the same pydantic schemas and raise the
same exceptions, and a test runs one scenario both ways to keep them identical.
"""

from __future__ import annotations

from typing import Any

from genloop.settings import Settings
from genloop.store import Store

__all__ = ["Client"]


class Client:
    """Entry point of the SDK; ``project`` scopes every call (default ``"default"``)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        project: str = "default",
        settings: Settings | None = None,
        store: Store | None = None,
        api_key: str | None = None,
    ) -> None:
        from genloop.refs import validate_name

        self.project = validate_name(project, "project name")
        self.settings = settings or (store.settings if store is not None else Settings())
        target = url or (None if store is not None else self.settings.server_url)
        self._store: Store | None = None
        self._http: Any = None
        if target and target.startswith(("http://", "https://")):
            from genloop.client._http import HttpTransport

            self.url = target
            self._http = HttpTransport(target, api_key=api_key or self.settings.api_key,
                                       actor=self.settings.actor)
            self._bind_remote()
        else:
            if store is None:
                overrides = {"database_url": target} if target else {}
                store = Store(self.settings.model_copy(update=overrides))
                self._owns_store = True
            else:
                self._owns_store = False
            self._store = store
            self.url = store.db.url
            self._bind_local()

    @property
    def is_remote(self) -> bool:
        return self._http is not None

    def _bind_local(self) -> None:
        from genloop.audit import AuditService
        from genloop.auth import KeyService
        from genloop.connections import ConnectionService
        from genloop.datasets import DatasetService
        from genloop.deployments import DeploymentService
        from genloop.evals import EvalService
        from genloop.feedback import FeedbackService
        from genloop.models import ModelService
        from genloop.prompts import PromptService
        from genloop.quality import QualityService
        from genloop.review import ReviewService
        from genloop.runs import RunService
        from genloop.tracing import TraceService
        from genloop.tuning import TuningService

        store, project = self._store, self.project
        assert store is not None
        self.datasets = DatasetService(store, project=project)
        self.prompts = PromptService(store, project=project)
        self.models = ModelService(store, project=project)
        self.runs = RunService(store, project=project)
        self.audit = AuditService(store, project=project)
        self.evals = EvalService(store, project=project)
        self.deployments = DeploymentService(store, project=project)
        self.traces = TraceService(store, project=project)
        self.feedback = FeedbackService(store, project=project)
        self.keys = KeyService(store, project=project)
        from genloop.auth import RoleService, UserService

        self.users: Any = UserService(store)
        self.roles: Any = RoleService(store, project=project)
        self.connections = ConnectionService(store)
        self.tuning = TuningService(store, project=project)
        self.quality = QualityService(store, project=project)
        self.review = ReviewService(store, project=project)
        from genloop.client._monitoring import Monitoring

        self.monitoring: Any = Monitoring(store, project=project)
        from genloop.pipelines import PipelineService

        self.pipelines: Any = PipelineService(store, project=project)
        from genloop.pipelines import TriggerService

        self.triggers: Any = TriggerService(store, project=project)
        from genloop.client._governance import Governance

        self.governance: Any = Governance(store, project=project)
        from genloop.client._compliance import Compliance

        self.compliance: Any = Compliance(store, project=project)

    def _bind_remote(self) -> None:
        from genloop.client._audit import RemoteAudit
        from genloop.client._connections import RemoteConnections
        from genloop.client._datasets import RemoteDatasets
        from genloop.client._deployments import RemoteDeployments
        from genloop.client._evals import RemoteEvals
        from genloop.client._feedback import RemoteFeedback
        from genloop.client._keys import RemoteKeys
        from genloop.client._models import RemoteModels
        from genloop.client._prompts import RemotePrompts
        from genloop.client._quality import RemoteQuality
        from genloop.client._review import RemoteReview
        from genloop.client._runs import RemoteRuns
        from genloop.client._traces import RemoteTraces
        from genloop.client._tuning import RemoteTuning

        http, project = self._http, self.project
        self.datasets = RemoteDatasets(http, project=project)  # type: ignore[assignment]
        self.prompts = RemotePrompts(http, project=project)  # type: ignore[assignment]
        self.models = RemoteModels(http, project=project)  # type: ignore[assignment]
        self.runs = RemoteRuns(http, project=project)  # type: ignore[assignment]
        self.audit = RemoteAudit(http, project=project)  # type: ignore[assignment]
        self.evals = RemoteEvals(http, project=project, settings=self.settings)  # type: ignore[assignment]
        self.deployments = RemoteDeployments(http, project=project)  # type: ignore[assignment]
        self.traces = RemoteTraces(http, project=project)  # type: ignore[assignment]
        self.feedback = RemoteFeedback(http, project=project)  # type: ignore[assignment]
        self.keys = RemoteKeys(http, project=project)  # type: ignore[assignment]
        from genloop.client._users import RemoteRoles, RemoteUsers

        self.users = RemoteUsers(http)
        self.roles = RemoteRoles(http, project=project)
        self.connections = RemoteConnections(http)  # type: ignore[assignment]
        self.tuning = RemoteTuning(http, project=project, settings=self.settings)  # type: ignore[assignment]
        self.quality = RemoteQuality(http, project=project)  # type: ignore[assignment]
        self.review = RemoteReview(http, project=project)  # type: ignore[assignment]
        from genloop.client._monitoring import RemoteMonitoring

        self.monitoring = RemoteMonitoring(http, project=project)
        from genloop.client._pipelines import RemotePipelines

        self.pipelines = RemotePipelines(http, project=project)
        from genloop.client._triggers import RemoteTriggers

        self.triggers = RemoteTriggers(http, project=project)
        from genloop.client._governance import RemoteGovernance

        self.governance = RemoteGovernance(http, project=project)
        from genloop.client._compliance import RemoteCompliance

        self.compliance = RemoteCompliance(http, project=project)

    def lineage(self, ref: str, *, kind: str | None = None, depth: int = 10) -> Any:
        """The graph behind a version: which run made it, from which versions (see ``genloop lineage``)."""
        return self.runs.lineage(ref, kind=kind, depth=depth)

    def with_project(self, project: str) -> Client:
        """A client on the same store or server, scoped to another project."""
        if self._http is not None:
            return Client(self.url, project=project, settings=self.settings)
        return Client(store=self._store, project=project, settings=self.settings)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        elif self._store is not None and self._owns_store:
            self._store.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r}, project={self.project!r})"
