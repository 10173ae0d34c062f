"""Core commands: schema, import, rejects, demo, report."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from loyalist import __version__
from loyalist.cli.common import check_choice, progress_steps, settings_of
from loyalist.cli.output import app, out, print_rows, print_summary
from loyalist.config import Settings
from loyalist.data import datasets, schema
from loyalist.data.derived import refresh_if_stale, refresh_workspace
from loyalist.data.docs import render_text
from loyalist.data.importer import import_file, rejects
from loyalist.demo import run_demo
from loyalist.errors import InputError, NotFoundError
from loyalist.report import build_report
from loyalist.store.workspace import Workspace


@app.callback()
def _main(
    ctx: typer.Context,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="Workspace directory [env LOYALIST_WORKSPACE].")] = None,
) -> None:
    settings = Settings.from_env(os.environ)
    if workspace is not None:
        settings = dataclasses.replace(settings, workspace=workspace)
    ctx.obj = settings
    if ctx.invoked_subcommand not in NO_DERIVE:
        _derive(Workspace(settings.workspace))


# commands that do not read the per-customer tables (import stays fast: the next reader builds)
NO_DERIVE = {None, "import", "schema", "rejects", "version", "refresh", "keys", "demo"}


def _derive(workspace: Workspace) -> None:
    """Rebuild the stored per-customer tables when an import changed their source."""
    refresh_if_stale(workspace, announce=lambda stale: typer.echo(
        f"building the per-customer tables of {', '.join(stale)} (once after an import)...",
        err=True))


@app.command()
def version() -> None:
    """Print the loyalist version."""
    out.print(__version__)


@app.command("schema")
def schema_cmd(table: Annotated[str | None, typer.Argument(help="One table.")] = None) -> None:
    """Print the canonical data model (all tables, or one)."""
    specs = [schema.table(table)] if table else list(schema.TABLES)
    out.print(render_text(specs), highlight=False, markup=False)


def _parse_map(pairs: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise InputError(f"--map expects target=source, got {pair!r}", value=pair)
        mapping[target.strip()] = source.strip()
    return mapping


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. orders.")],
    file: Annotated[Path, typer.Argument(help="CSV (.csv, .csv.gz) or Parquet file.")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="target=source column mapping; repeatable.")] = None,
    strict: Annotated[bool, typer.Option(help="Load nothing if any row is rejected.")] = False,
    date_format: Annotated[str | None, typer.Option(help="strptime format for dates.")] = None,
    delimiter: Annotated[str, typer.Option(help="CSV field separator.")] = ",",
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Import FILE into TABLE: bad rows are kept as rejects, re-importing changes nothing."""
    check_choice("--format", fmt, ("text", "json"))
    settings = settings_of(ctx)
    with progress_steps(settings, fmt == "text") as step:
        result = import_file(Workspace(settings.workspace), table, file,
                             mapping=_parse_map(map_ or []), strict=strict,
                             date_format=date_format, delimiter=delimiter, progress=step)
    print_summary(result, fmt)


@app.command("rejects")
def rejects_cmd(
    ctx: typer.Context,
    table: Annotated[str | None, typer.Argument(help="Only this table.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 50,
) -> None:
    """List rejected lines with file, line, column and reason."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    rows = rejects(Workspace(settings_of(ctx).workspace), table)
    print_rows(rows, fmt, title=f"{len(rows)} rejected cell(s)", limit=limit)


@app.command("refresh")
def refresh_cmd(ctx: typer.Context) -> None:
    """Rebuild the stored per-customer tables now (every command that reads does it when due).

    Commands that read the workspace rebuild them when an import changed ``orders`` or
    ``events``; this forces it, e.g. after SQL of your own changed rows in place.
    """
    workspace = Workspace(settings_of(ctx).workspace)
    if not workspace.exists:
        raise NotFoundError(f"no loyalist workspace at {workspace.path} (run `loyalist import` "
                            "or `loyalist demo`)", file=str(workspace.path))
    refresh_workspace(workspace)
    out.print(f"stored per-customer tables rebuilt in {workspace.path}")


@app.command()
def demo(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option(help="online-retail or cdnow.")] = "online-retail",
    into: Annotated[Path | None, typer.Option(
        help="Workspace for the demo [default: loyalist-demo/DATASET].")] = None,
) -> None:
    """Load a shipped real data set into a fresh workspace and write the report."""
    check_choice("--dataset", dataset, datasets.DATASETS)
    directory = into or Path("loyalist-demo") / dataset
    with progress_steps(settings_of(ctx), True) as step:
        results, report = run_demo(dataset, directory, on_step=step)
    for result in results:
        print_summary(result, "text")
    out.print(f"report: {report}", highlight=False)
    out.print(f"workspace: {directory}  (try: loyalist -w {directory} rejects)", highlight=False)


@app.command()
def report(
    ctx: typer.Context,
    out_file: Annotated[Path | None, typer.Option("--out", help="Output HTML file.")] = None,
) -> None:
    """Write the self-contained HTML report of the workspace."""
    path = build_report(Workspace(settings_of(ctx).workspace), out_file)
    out.print(f"report: {path}", highlight=False)
