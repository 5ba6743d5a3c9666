"""REST routes for the model registry: versions, aliases and status.

A ``{ref}`` path segment is ``NAME``, ``NAME@3`` or ``NAME@champion``. Fields are checked by the
service, not by the request schema, so errors carry the same messages as in-process.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, ValidationError

from genloop.errors import InvalidInput, PayloadTooLarge
from genloop.models import ModelDetail, ModelInfo, ModelService, ModelVersion, RegisterModel
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page, Store

router = APIRouter(tags=["models"])

_CREATED = {201: {"description": "A new version was registered"},
            200: {"description": "The latest version already had this content; it is returned"}}


class UploadSpec(RegisterModel):
    """The ``spec`` form field of an upload: the registration, plus where the files came from."""

    source_uri: str
    is_file: bool = False


class StatusRequest(BaseModel):
    status: str
    reason: str | None = None


def _created(response: Response, result: tuple[ModelVersion, bool]) -> ModelVersion:
    version, created = result
    response.status_code = 201 if created else 200
    return version


@router.get("/projects/{project}/models", response_model=Page[ModelInfo])
def list_models(project: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[ModelInfo]:
    """Registered models by name, each with its latest version, status and aliases."""
    return ModelService(store, project).list(offset=offset, limit=limit)


@router.post("/projects/{project}/models/{name}/versions", response_model=ModelVersion, status_code=201,
             responses=_CREATED)
def register(project: str, name: str, body: RegisterModel, store: StoreDep, actor: ActorDep,
             response: Response) -> ModelVersion:
    """Register a version whose URI the server can reach; identical content returns the latest (200)."""
    service = ModelService(store, project, actor)
    return _created(response, service.register_or_get(name, **body.model_dump()))


@router.post("/projects/{project}/models/{name}/versions/upload", response_model=ModelVersion, status_code=201,
             responses=_CREATED)
def register_upload(
    project: str,
    name: str,
    store: StoreDep,
    actor: ActorDep,
    response: Response,
    spec: Annotated[str, Form(description="RegisterModel as JSON, with source_uri and is_file")],
    paths: Annotated[str, Form(description="JSON list: the relative path of each file, in order")],
    files: Annotated[list[UploadFile], File(description="The files of the checkpoint")],
) -> ModelVersion:
    """Register a version from uploaded files, copied into the artifact store (``register(copy=True)``)."""
    try:
        upload = UploadSpec.model_validate_json(spec)
        rel_paths = json.loads(paths)
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"invalid upload form: {exc}", hint="send spec and paths as JSON") from exc
    if not isinstance(rel_paths, list) or len(rel_paths) != len(files):
        raise InvalidInput("the upload's paths do not match its files", hint="send one relative path per file")
    fields: dict[str, Any] = upload.model_dump(exclude={"source_uri", "is_file", "uri"})
    fields["metadata"] = {**(fields["metadata"] or {}), "source_uri": upload.source_uri}
    with tempfile.TemporaryDirectory(prefix="genloop-upload-") as tmp:
        root = Path(tmp)
        _save_files(store, root, rel_paths, files)
        uri = root / rel_paths[0] if upload.is_file else root
        service = ModelService(store, project, actor)
        return _created(response, service.register_or_get(name, uri=str(uri), copy=True, **fields))


def _save_files(store: Store, root: Path, rel_paths: list[Any], files: list[UploadFile]) -> None:
    limit = store.settings.max_upload_mb << 20
    total = 0
    for rel, upload in zip(rel_paths, files, strict=True):
        parts = rel.split("/") if isinstance(rel, str) else []
        if not parts or any(p in {"", ".", ".."} for p in parts) or "\\" in rel:
            raise InvalidInput(f"invalid upload path {rel!r}", hint="relative POSIX paths without '..'")
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            while chunk := upload.file.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise PayloadTooLarge(f"upload is over {store.settings.max_upload_mb} MiB",
                                          hint="raise GENLOOP_MAX_UPLOAD_MB on the server, or register an "
                                               "fsspec URI the server can read")
                out.write(chunk)


@router.get("/projects/{project}/models/{name}/versions", response_model=Page[ModelVersion])
def list_versions(project: str, name: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[ModelVersion]:
    """Versions of a model, newest first."""
    return ModelService(store, project).versions(name, offset=offset, limit=limit)


@router.get("/projects/{project}/models/{ref}", response_model=ModelDetail, response_model_exclude_unset=True)
def get_version(project: str, ref: str, store: StoreDep, history: bool = False) -> Any:
    """The version a reference points at; ``history=true`` adds its status history."""
    service = ModelService(store, project)
    return service.show(ref) if history else service.get(ref)


@router.put("/projects/{project}/models/{ref}/aliases/{alias}", response_model=ModelVersion)
def set_alias(project: str, ref: str, alias: str, store: StoreDep, actor: ActorDep) -> ModelVersion:
    """Point ``alias`` at the version ``ref`` resolves to (audited)."""
    return ModelService(store, project, actor).alias(ref, alias)


@router.delete("/projects/{project}/models/{ref}/aliases/{alias}", status_code=204)
def remove_alias(project: str, ref: str, alias: str, store: StoreDep, actor: ActorDep) -> Response:
    """Remove an alias (audited); ``{ref}`` is the model's NAME here."""
    ModelService(store, project, actor).unalias(ref, alias)
    return Response(status_code=204)


@router.post("/projects/{project}/models/{ref}/status", response_model=ModelVersion)
def set_status(project: str, ref: str, body: StatusRequest, store: StoreDep, actor: ActorDep) -> ModelVersion:
    """Move a version along draft -> reviewed -> approved -> retired (audited with the reason)."""
    return ModelService(store, project, actor).set_status(ref, body.status, reason=body.reason)
