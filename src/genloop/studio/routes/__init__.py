"""Every Studio router. Each page family has its own module; add yours to ``ROUTERS`` (order is irrelevant:
paths do not overlap)."""

from genloop.studio.routes import (
    audit,
    auth,
    datasets,
    deployments,
    evals,
    governance,
    home,
    models,
    monitoring,
    optimize,
    pipelines,
    playground,
    prompts,
    quality,
    rag,
    review,
    runs,
    traces,
)

ROUTERS = [
    traces.router,
    evals.router,
    deployments.router,
    auth.router,
    home.router,
    prompts.router,
    playground.router,
    datasets.router,
    models.router,
    runs.router,
    audit.router,
    review.router,
    quality.router,
    optimize.router,
    rag.router,
    monitoring.router,
    governance.router,
    pipelines.router,
]
