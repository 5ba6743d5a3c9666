"""REST routes for datasets: upload versions, read them, download content, split, tag and label.

A ``{ref}`` path segment is ``NAME``, ``NAME@3`` or ``NAME@golden``. An upload is a multipart form with
one ``file`` part; it is parsed as it streams in and spooled to a temporary file (never held in
memory), refused with 413 past ``GENLOOP_MAX_UPLOAD_MB``, and imported by the same service as the SDK,
so errors carry the same messages as in-process.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from genloop.datasets import DatasetInfo, DatasetService, DatasetVersion, SplitRequest, SplitResult, TagRequest
from genloop.datasets._export import MEDIA_TYPES, export_format
from genloop.datasets._sources import format_from_name
from genloop.errors import InvalidInput, PayloadTooLarge
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page, Store

router = APIRouter(tags=["datasets"])

_FIELDS = ("kind", "message", "tags", "format", "description", "source_run_id", "display")
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "A new version was created"},
    200: {"description": "The latest version already had this content; it is returned"},
}
_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "JSONL, CSV or Parquet"},
        "kind": {"type": "string", "description": "chat, completion, preference, eval or generic"},
        "message": {"type": "string"},
        "tags": {"type": "string", "description": "Comma-separated tags (golden, few-shot, sft...)"},
        "format": {"type": "string", "description": "jsonl, csv, parquet, or rows (JSONL of SDK rows); "
                                                    "default from the file name"},
        "description": {"type": "string"},
        "source_run_id": {"type": "string"},
        "display": {"type": "string", "description": "How error messages name the data (default the file name)"},
    }}}}}}


@router.get("/projects/{project}/datasets", response_model=Page[DatasetInfo])
def list_datasets(project: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[DatasetInfo]:
    """Datasets by name, each summarised by its latest version."""
    return DatasetService(store, project).list(offset=offset, limit=limit)


@router.post("/projects/{project}/datasets/{name}/versions", response_model=DatasetVersion, status_code=201,
             responses=_CREATED, openapi_extra=_UPLOAD_BODY)
async def create_version(project: str, name: str, request: Request, response: Response, store: StoreDep,
                         actor: ActorDep) -> DatasetVersion:
    """Upload a file as a new version; identical content to the latest version returns it (200)."""
    path, filename, fields = await _spool_upload(request, store)
    try:
        if fields.get("format") == "hf":
            raise InvalidInput("a save_to_disk folder cannot be uploaded as such", hint="upload it as Parquet")
        tags = [t.strip() for t in fields.get("tags", "").split(",") if t.strip()]
        service = DatasetService(store, project, actor)
        version, created = await run_in_threadpool(
            service.create_or_get, name, path, kind=fields.get("kind") or None, message=fields.get("message", ""),
            tags=tags, format=fields.get("format") or format_from_name(filename),
            description=fields.get("description"), source_run_id=fields.get("source_run_id") or None,
            display=fields.get("display", filename),
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    response.status_code = 201 if created else 200
    return version


@router.get("/projects/{project}/datasets/{name}/versions", response_model=Page[DatasetVersion])
def list_versions(project: str, name: str, store: StoreDep, offset: OffsetQ = 0,
                  limit: LimitQ = 50) -> Page[DatasetVersion]:
    """Versions of a dataset, newest first."""
    return DatasetService(store, project).versions(name, offset=offset, limit=limit)


@router.get("/projects/{project}/datasets/{name}/versions/{version}", response_model=DatasetVersion)
def get_numbered(project: str, name: str, version: int, store: StoreDep) -> DatasetVersion:
    """One version by number."""
    return DatasetService(store, project).get(f"{name}@{version}")


@router.get("/projects/{project}/datasets/{name}/versions/{version}/content", response_class=StreamingResponse,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}})
def download_numbered(project: str, name: str, version: int, store: StoreDep,
                      format: str = "parquet") -> StreamingResponse:
    """Download one version as Parquet (the stored file), JSON Lines or CSV."""
    return _download(store, project, f"{name}@{version}", format)


@router.get("/projects/{project}/datasets/{ref}", response_model=DatasetVersion)
def get_version(project: str, ref: str, store: StoreDep) -> DatasetVersion:
    """The version a reference points at."""
    return DatasetService(store, project).get(ref)


@router.get("/projects/{project}/datasets/{ref}/head", response_model=list[dict[str, Any]])
def head(project: str, ref: str, store: StoreDep, n: int = 10) -> list[dict[str, Any]]:
    """The first ``n`` rows (at most 10,000)."""
    return DatasetService(store, project).head(ref, n)


@router.get("/projects/{project}/datasets/{ref}/content", response_class=StreamingResponse,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}})
def download(project: str, ref: str, store: StoreDep, format: str = "parquet") -> StreamingResponse:
    """Download the version a reference points at as Parquet, JSON Lines or CSV (streamed)."""
    return _download(store, project, ref, format)


@router.post("/projects/{project}/datasets/{ref}/split", response_model=SplitResult, status_code=201)
def split(project: str, ref: str, body: SplitRequest, store: StoreDep, actor: ActorDep) -> SplitResult:
    """Split a version into train and test versions with a seeded, reproducible choice of rows."""
    return DatasetService(store, project, actor).split(ref, **body.model_dump())


@router.post("/projects/{project}/datasets/{ref}/tags", response_model=DatasetVersion)
def add_tag(project: str, ref: str, body: TagRequest, store: StoreDep, actor: ActorDep) -> DatasetVersion:
    """Tag a version (``golden``, ``few-shot``, ``sft``...; audited)."""
    return DatasetService(store, project, actor).tag(ref, body.tag)


@router.delete("/projects/{project}/datasets/{ref}/tags/{tag}", response_model=DatasetVersion)
def remove_tag(project: str, ref: str, tag: str, store: StoreDep, actor: ActorDep) -> DatasetVersion:
    """Remove a tag from a version (audited)."""
    return DatasetService(store, project, actor).untag(ref, tag)


@router.put("/projects/{project}/datasets/{ref}/labels/{label}", response_model=DatasetVersion)
def set_label(project: str, ref: str, label: str, store: StoreDep, actor: ActorDep) -> DatasetVersion:
    """Point ``label`` at the version ``ref`` resolves to (audited)."""
    return DatasetService(store, project, actor).label(ref, label)


@router.delete("/projects/{project}/datasets/{name}/labels/{label}", status_code=204)
def remove_label(project: str, name: str, label: str, store: StoreDep, actor: ActorDep) -> Response:
    """Remove a label (audited)."""
    DatasetService(store, project, actor).unlabel(name, label)
    return Response(status_code=204)


# -- helpers ---------------------------------------------------------------------------------------


def _download(store: Store, project: str, ref: str, format: str) -> StreamingResponse:
    fmt = export_format(None, format)
    service = DatasetService(store, project)
    version = service.get(ref)
    chunks = service.content(version.ref, format=fmt)
    filename = f"{version.name}-{version.version}.{fmt}"
    return StreamingResponse(chunks, media_type=MEDIA_TYPES[fmt],
                             headers={"content-disposition": f'attachment; filename="{filename}"'})


async def _spool_upload(request: Request, store: Store) -> tuple[Path, str, dict[str, str]]:
    """Stream a multipart upload to a temporary file; return its path, file name and the other fields."""
    limit = store.settings.max_upload_mb << 20
    directory = store.settings.resolved_home / "tmp" / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"upload-{uuid.uuid4().hex}"
    try:
        filename, fields, too_large = await spool_multipart(request, target, limit, _FIELDS)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if too_large:
        target.unlink(missing_ok=True)
        raise PayloadTooLarge(f"the upload is larger than this server's limit of {store.settings.max_upload_mb} MiB",
                              hint="raise GENLOOP_MAX_UPLOAD_MB on the server, or split the file")
    if filename is None:
        target.unlink(missing_ok=True)
        raise InvalidInput("the upload has no 'file' part", hint="send multipart/form-data with a file field 'file'")
    return target, filename, fields


async def spool_multipart(request: Request, target: Path, limit: int,
                          names: tuple[str, ...]) -> tuple[str | None, dict[str, str], bool]:
    """Parse the body as it arrives: the ``file`` part goes to ``target``, small fields into a dict.

    Returns the file name, the fields, and whether the file passed ``limit`` bytes (the rest of the
    body is then read and dropped, so the client gets the 413 answer instead of a broken pipe).
    """
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidInput("the upload must be multipart/form-data", hint="send the file as a form field 'file'")
    state: dict[str, Any] = {"header": b"", "value": b"", "disposition": b"", "name": None, "file": False,
                             "filename": None, "size": 0, "too_large": False, "data": bytearray()}
    fields: dict[str, str] = {}
    pending: list[bytes] = []

    def on_part_begin() -> None:
        state.update(disposition=b"", name=None, file=False, data=bytearray())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        if state["header"].lower() == b"content-disposition":
            state["disposition"] = state["value"]
        state["header"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(state["disposition"])
        state["name"] = options.get(b"name", b"").decode("utf-8", "replace")
        state["file"] = state["name"] == "file"
        if state["file"]:
            state["filename"] = Path(options.get(b"filename", b"upload").decode("utf-8", "replace")).name or "upload"

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["file"]:
            state["size"] += end - start
            if state["size"] > limit:
                state["too_large"] = True
            elif not state["too_large"]:
                pending.append(data[start:end])
        elif len(state["data"]) + end - start <= 64 << 10:
            state["data"] += data[start:end]
        else:
            raise InvalidInput(f"form field {state['name']!r} is over 64 KiB")

    def on_part_end() -> None:
        if not state["file"] and state["name"] in names:
            fields[state["name"]] = state["data"].decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
    })
    with open(target, "wb") as out:
        try:
            async for chunk in request.stream():
                parser.write(chunk)
                if pending:
                    out.write(b"".join(pending))
                    pending.clear()
            parser.finalize()
        except FormParserError as exc:
            raise InvalidInput(f"invalid multipart body: {exc}", hint="send multipart/form-data") from exc
    return state["filename"], fields, state["too_large"]
