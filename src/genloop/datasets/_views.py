"""How stored rows read as schemas: a version row as :class:`DatasetVersion`, datasets as :class:`DatasetInfo`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genloop.datasets._schemas import ColumnInfo, DatasetInfo, DatasetVersion
from genloop.datasets._tables import DatasetRow, DatasetVersionRow
from genloop.store._registry import Label, find_project, labels_of

__all__ = ["summaries", "to_schema"]


def to_schema(session: Session, project: str, name: str, row: DatasetVersionRow,
              labels: dict[str, int] | None = None) -> DatasetVersion:
    """The public schema of a version row (with the labels that point at it)."""
    if labels is None:
        project_row = find_project(session, project)
        labels = labels_of(session, project_row.id, "dataset", name) if project_row is not None else {}
    transform = row.transform or None
    parent = None
    if transform and isinstance(transform.get("source"), str):
        parent = transform["source"]
    elif row.parent_version:
        parent = f"{name}@{row.parent_version}"
    return DatasetVersion(
        name=name, version=row.version, kind=row.kind, content_hash=row.content_hash, num_rows=row.num_rows,
        size_bytes=row.size_bytes, columns=[ColumnInfo(**c) for c in row.columns or []],
        tags=list(row.tags or []), labels=sorted(k for k, v in labels.items() if v == row.version),
        message=row.message or "", parent=parent, parent_version=row.parent_version, transform=transform,
        source_run_id=row.source_run_id, created_at=row.created_at, created_by=row.created_by or "",
    )


def summaries(session: Session, parents: list[DatasetRow]) -> list[DatasetInfo]:
    """One :class:`DatasetInfo` per dataset row: its latest version, version count and labels (three queries)."""
    if not parents:
        return []
    ids = [p.id for p in parents]
    latest_numbers = (
        select(DatasetVersionRow.dataset_id, func.max(DatasetVersionRow.version).label("latest"),
               func.count().label("n"))
        .where(DatasetVersionRow.dataset_id.in_(ids)).group_by(DatasetVersionRow.dataset_id).subquery()
    )
    rows = session.execute(
        select(DatasetVersionRow, latest_numbers.c.n).join(
            latest_numbers, (latest_numbers.c.dataset_id == DatasetVersionRow.dataset_id)
            & (latest_numbers.c.latest == DatasetVersionRow.version))
    ).all()
    latest = {row.dataset_id: (row, int(n)) for row, n in rows}
    labels: dict[str, dict[str, int]] = {}
    for label in session.scalars(select(Label).where(
            Label.project_id == parents[0].project_id, Label.entity_type == "dataset",
            Label.entity_name.in_([p.name for p in parents]))):
        labels.setdefault(label.entity_name, {})[label.label] = label.version
    items = []
    for parent in parents:
        row, n = latest.get(parent.id, (None, 0))
        items.append(DatasetInfo(
            name=parent.name, description=parent.description or "", latest_version=row.version if row else None,
            num_versions=n, kind=row.kind if row else None, num_rows=row.num_rows if row else None,
            content_hash=row.content_hash if row else None, labels=labels.get(parent.name, {}),
            created_at=parent.created_at, created_by=parent.created_by or "",
            updated_at=row.created_at if row else None,
        ))
    return items
