"""Every REST router, in the order they appear in the OpenAPI document."""

from genloop.server.routes import audit, datasets, evals, lineage, models, prompts, runs

ROUTERS = [datasets.router, prompts.router, models.router, runs.router, lineage.router, evals.router, audit.router]
