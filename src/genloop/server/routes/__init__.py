"""Every REST router, in the order they appear in the OpenAPI document."""

from genloop.server.routes import (
    audit,
    connections,
    datasets,
    deployments,
    evals,
    feedback,
    keys,
    lineage,
    models,
    monitoring,
    pipelines,
    prompts,
    quality,
    review,
    runs,
    traces,
)

ROUTERS = [
    datasets.router,
    prompts.router,
    models.router,
    runs.router,
    lineage.router,
    evals.router,
    deployments.router,
    traces.router,
    feedback.router,
    review.router,
    monitoring.router,
    pipelines.router,
    quality.router,
    keys.router,
    connections.router,
    audit.router,
]
