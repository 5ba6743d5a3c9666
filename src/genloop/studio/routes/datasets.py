"""Datasets: the list, a dataset's versions, one version (rows paged and searchable, schema, tags, labels,
content hash, lineage, download), a new version by upload, and a split."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from fastapi import APIRouter, Form
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from genloop.datasets import DatasetService
from genloop.datasets._browse import browse_rows
from genloop.datasets._sources import format_from_name
from genloop.errors import InvalidInput, PayloadTooLarge
from genloop.runs import RunService
from genloop.server.routes.datasets import _download, spool_multipart
from genloop.studio._context import Studio, StudioDep
from genloop.studio._graph import layout_lineage
from genloop.studio._params import ListQ, name_search, pager

router = APIRouter()


@router.get("/projects/{project}/datasets")
def datasets(project: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/datasets")
    service = DatasetService(studio.store, project)
    found = name_search(lambda offset, limit: service.list(offset=offset, limit=limit), page, lambda item: item.name)
    return studio.render("datasets/list.html", project=project, datasets=found.items, q=page.q,
                         pager=pager(studio.request, found))


@router.get("/projects/{project}/datasets/{name}")
def dataset(project: str, name: str, studio: StudioDep, page: ListQ) -> Response:
    studio.check("GET", f"/projects/{project}/datasets/{name}/versions")
    versions = DatasetService(studio.store, project).versions(name, offset=page.offset, limit=page.limit)
    if not versions.items and page.offset == 0:
        DatasetService(studio.store, project).get(name)  # NotFound names the dataset
    return studio.render("datasets/dataset.html", project=project, name=name, versions=versions.items,
                         pager=pager(studio.request, versions))


@router.get("/projects/{project}/datasets/{name}/{version}")
def version(project: str, name: str, version: int, studio: StudioDep, page: ListQ, start: int = 0) -> Response:
    """A version and a page of its rows from row ``start`` (``q`` searches their text)."""
    studio.check("GET", f"/projects/{project}/datasets/{name}/versions/{version}")
    service = DatasetService(studio.store, project)
    found = service.get(f"{name}@{version}")
    rows = browse_rows(service, found.ref, start=max(start, 0), limit=page.limit, q=page.q)
    graph = layout_lineage(RunService(studio.store, project).lineage(f"dataset:{found.ref}"), project)
    return studio.render("datasets/version.html", project=project, name=name, v=found, rows=rows, q=page.q,
                         graph=graph)


@router.get("/projects/{project}/datasets/{name}/{version}/download")
def download(project: str, name: str, version: int, studio: StudioDep, format: str = "jsonl") -> Response:
    studio.check("GET", f"/projects/{project}/datasets/{name}/versions/{version}/content")
    return _download(studio.store, project, f"{name}@{version}", format)


@router.get("/projects/{project}/datasets-new")
def upload_form(project: str, studio: StudioDep, name: str = "") -> Response:
    studio.check("GET", f"/projects/{project}/datasets")
    return studio.render("datasets/upload.html", project=project, name=name, error=None)


@router.post("/projects/{project}/datasets-new")
async def upload(project: str, studio: StudioDep) -> Response:
    """A file (JSONL, CSV, Parquet) as a new version: streamed to disk under the server's upload limit."""
    studio.check("POST", f"/projects/{project}/datasets/-/versions")
    path, filename, fields = await _receive(studio)
    name = fields.get("name", "").strip()
    try:
        studio.check("POST", f"/projects/{project}/datasets/{name}/versions")
        if not name:
            raise InvalidInput("the new version needs a dataset name", hint="fill in the name field")
        tags = [t.strip() for t in fields.get("tags", "").split(",") if t.strip()]
        service = DatasetService(studio.store, project, studio.actor)
        created = await run_in_threadpool(service.create, name, path, kind=fields.get("kind") or None,
                                          message=fields.get("message", ""), tags=tags, display=filename,
                                          format=format_from_name(filename))
    except InvalidInput as exc:
        return studio.render("datasets/upload.html", status_code=400, project=project, name=name, error=str(exc))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return studio.redirect(f"/projects/{project}/datasets/{created.name}/{created.version}")


async def _receive(studio: Studio) -> tuple[Path, str, dict[str, str]]:
    """The upload's file (spooled to disk, at most GENLOOP_MAX_UPLOAD_MB) and its small fields."""
    settings = studio.settings
    directory = settings.resolved_home / "tmp" / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"studio-{uuid.uuid4().hex}"
    try:
        filename, fields, too_large = await spool_multipart(studio.request, target, settings.max_upload_mb << 20,
                                                            ("name", "kind", "message", "tags"))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if too_large or filename is None:
        target.unlink(missing_ok=True)
        if too_large:
            raise PayloadTooLarge(f"the upload is larger than this server's limit of {settings.max_upload_mb} MiB",
                                  hint="raise GENLOOP_MAX_UPLOAD_MB on the server, or split the file")
        raise InvalidInput("the form has no file", hint="choose a JSONL, CSV or Parquet file")
    return target, filename, fields


@router.post("/projects/{project}/datasets/{name}/{version}/split")
def split(project: str, name: str, version: int, studio: StudioDep, test_size: float = Form(0.2),
          seed: int = Form(42), stratify: str = Form("")) -> Response:
    studio.check("POST", f"/projects/{project}/datasets/{name}@{version}/split")
    result = DatasetService(studio.store, project, studio.actor).split(
        f"{name}@{version}", test_size=test_size if test_size < 1 else int(test_size), seed=seed,
        stratify=stratify.strip() or None)
    return studio.redirect(f"/projects/{project}/datasets/{result.train.name}/{result.train.version}")


@router.post("/projects/{project}/datasets/{name}/{version}/tags")
def tag(project: str, name: str, version: int, studio: StudioDep, tag: str = Form(...)) -> Response:
    studio.check("POST", f"/projects/{project}/datasets/{name}@{version}/tags")
    DatasetService(studio.store, project, studio.actor).tag(f"{name}@{version}", tag.strip())
    return studio.redirect(f"/projects/{project}/datasets/{name}/{version}")


@router.post("/projects/{project}/datasets/{name}/{version}/labels")
def label(project: str, name: str, version: int, studio: StudioDep, label: str = Form(...)) -> Response:
    studio.check("PUT", f"/projects/{project}/datasets/{name}@{version}/labels/{label.strip()}")
    DatasetService(studio.store, project, studio.actor).label(f"{name}@{version}", label.strip())
    return studio.redirect(f"/projects/{project}/datasets/{name}/{version}")
