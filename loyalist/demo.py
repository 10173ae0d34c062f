"""The demo: load a shipped real data set into a fresh workspace and write the first report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from loyalist.data.datasets import prepare
from loyalist.data.derived import refresh_workspace
from loyalist.data.importer import ImportResult, load
from loyalist.report import build_report
from loyalist.store.workspace import Workspace


def run_demo(
    dataset: str,
    directory: Path,
    *,
    on_step: Callable[[str], None] | None = None,
) -> tuple[list[ImportResult], Path]:
    """Import ``dataset`` into a fresh workspace at ``directory`` and write its report.

    Returns the import summaries and the report's path. An earlier demo database in
    ``directory`` is replaced.
    """
    step = on_step or (lambda _name: None)
    workspace = Workspace(directory)
    step(f"reading {dataset}")
    source, parts = prepare(dataset)
    if workspace.database.exists():
        workspace.database.unlink()
    results = []
    for part in parts:
        step(f"importing {part.table}")
        results.append(load(part.table, part.rows, workspace=workspace, source=source,
                            line_column=part.line_column, extra_rejects=part.rejects))
    step("writing report")
    refresh_workspace(workspace)  # the per-customer tables the report reads
    return results, build_report(workspace)
