"""Which deployments use a reference: what moving a label or alias changes in live traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from genloop.deployments._schemas import DeploymentInfo
from genloop.deployments._service import DeploymentService

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["Usage", "deployments_using"]


class Usage(BaseModel):
    """One variant (or shadow, or fallback) of a deployment's latest version that names the reference."""

    deployment: str
    deployment_version: int
    role: str  # variant | shadow | fallback
    variant: str
    weight: float
    ref: str


def deployments_using(store: Store, project: str, field: str, name: str, label: str | None = None) -> list[Usage]:
    """Variants of the project's deployments whose ``field`` (``prompt`` or ``model``) is ``name@label``
    (every reference to ``name`` when ``label`` is None), in the latest version of each deployment."""
    wanted = f"{name}@{label}" if label is not None else None
    found: list[Usage] = []
    service = DeploymentService(store, project)
    offset: int | None = 0
    while offset is not None:
        page = service.list(offset=offset, limit=200)
        for deployment in page.items:
            found.extend(_uses(deployment, field, name, wanted))
        offset = page.next_offset
    return found


def _uses(deployment: DeploymentInfo, field: str, name: str, wanted: str | None) -> list[Usage]:
    out = []
    for role, variants in (("variant", deployment.variants), ("shadow", deployment.shadows),
                           ("fallback", deployment.fallbacks)):
        for index, variant in enumerate(variants):
            ref = getattr(variant, field)
            if not ref:
                continue
            if ref == wanted or (wanted is None and (ref == name or ref.startswith(name + "@"))):
                out.append(Usage(deployment=deployment.name, deployment_version=deployment.version, role=role,
                                 variant=variant.name or str(index + 1), weight=variant.weight, ref=ref))
    return out
