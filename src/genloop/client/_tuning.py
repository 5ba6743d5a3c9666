"""``client.tuning``: the tuning engine, in this process, on the client's own services (local or remote).

Training needs the weights and the hardware where it runs, so, as with evaluations, the engine always runs
in the calling process. Against a server, :class:`RemoteTuning` reads datasets and models and writes runs
and versions through the REST twins (a tuned model's files are uploaded when it is registered); the methods,
arguments and results are those of :class:`genloop.tuning.TuningService`.
"""

from __future__ import annotations

from genloop.client._http import HttpTransport
from genloop.settings import Settings
from genloop.tuning import TuningService

__all__ = ["RemoteTuning"]


class RemoteTuning(TuningService):
    """Tuning in one project of a GenLoop server: the same methods as :class:`TuningService`."""

    def __init__(self, http: HttpTransport, project: str = "default", settings: Settings | None = None) -> None:
        from genloop.client._datasets import RemoteDatasets
        from genloop.client._evals import RemoteEvals
        from genloop.client._models import RemoteModels
        from genloop.client._runs import RemoteRuns

        settings = settings or Settings()
        super().__init__(project=project, datasets=RemoteDatasets(http, project=project),
                         models=RemoteModels(http, project=project), runs=RemoteRuns(http, project=project),
                         evals=RemoteEvals(http, project=project, settings=settings), settings=settings)
