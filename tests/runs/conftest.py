"""Fixtures for the runs tests: ``seed`` writes dataset and prompt versions straight into their tables,
so these tests do not depend on the datasets and prompts services."""

from __future__ import annotations

from typing import Any

import pytest


class Seeder:
    """Writes dataset and prompt versions through ``VersionedKind``, as their services would."""

    def __init__(self, store: Any, project: str = "default") -> None:
        self.store = store
        self.project = project

    def dataset(self, name: str, *, parent_version: int | None = None, source_run_id: str | None = None,
                content: str = "") -> int:
        from genloop.runs._refs import versioned_kind

        def build(parent: Any, number: int) -> Any:
            from genloop.datasets._tables import DatasetVersionRow

            return DatasetVersionRow(dataset_id=parent.id, version=number, kind="eval", content_hash=digest,
                                     num_rows=1, size_bytes=1, columns=[], artifact_key=f"datasets/{name}/{number}",
                                     parent_version=parent_version, source_run_id=source_run_id, tags=[],
                                     message="", created_by="tester")

        digest = f"sha256:{name}{parent_version}{source_run_id}{content}"
        return self._create("dataset", versioned_kind("dataset"), name, digest, build)

    def prompt(self, name: str, *, template: str = "Hello {{ name }}") -> int:
        from genloop.runs._refs import versioned_kind

        def build(parent: Any, number: int) -> Any:
            from genloop.prompts._tables import PromptVersionRow

            return PromptVersionRow(prompt_id=parent.id, version=number, template_type="text", template=template,
                                    variables=["name"], params={}, message="", content_hash=f"sha256:{template}",
                                    created_by="tester")

        return self._create("prompt", versioned_kind("prompt"), name, f"sha256:{template}", build)

    def label(self, entity_type: str, ref: str, label: str) -> None:
        from genloop.runs._refs import versioned_kind

        self.store.db.write(lambda s: versioned_kind(entity_type).set_label(s, self.project, ref, label, "tester"))

    def _create(self, entity_type: str, kind: Any, name: str, digest: str, build: Any) -> int:
        row, _ = self.store.db.write(lambda s: kind.create_version(
            s, project_name=self.project, name=name, actor="tester", content_hash=digest, build=build))
        return int(row.version)


@pytest.fixture
def seed(store: Any) -> Seeder:
    """Write dataset and prompt versions into the test store (shared by the local and remote client)."""
    return Seeder(store)
