"""Render the canonical data model as text (``loyalist schema``) and Markdown (the docs)."""

from __future__ import annotations

from collections.abc import Sequence

from loyalist.data.schema import TABLES, Column, Table

HEADER = """# Data model

Generated from `loyalist/data/schema.py` by `make docs` (a test fails when this file is stale).
Every import validates rows against these rules; a row that breaks one is rejected and kept with
its file, line, column and reason (`loyalist rejects`). The key identifies a row: importing a row
whose key exists replaces it, so re-importing a file changes nothing.
"""


def _rules(col: Column, spec: Table) -> str:
    rules = []
    if col.name in spec.key:
        rules.append("key")
    if col.required or col.name in spec.key:
        rules.append("required")
    if col.nonnegative:
        rules.append(">= 0")
    if col.minimum is not None:
        rules.append(f">= {col.minimum:g}")
    if col.maximum is not None:
        rules.append(f"<= {col.maximum:g}")
    if col.choices:
        rules.append("one of " + "/".join(col.choices))
    return ", ".join(rules)


def render_markdown(specs: Sequence[Table] = TABLES) -> str:
    """The data model as Markdown, one section per table."""
    parts = [HEADER]
    for spec in specs:
        parts.append(f"\n## `{spec.name}`\n\n{spec.description} Key: "
                     f"{', '.join(f'`{k}`' for k in spec.key)}.\n")
        parts.append("\n| column | type | rules | description |\n|---|---|---|---|\n")
        for col in spec.columns:
            parts.append(f"| `{col.name}` | {col.type} | {_rules(col, spec)} | "
                         f"{col.description} |\n")
    return "".join(parts)


def render_text(specs: Sequence[Table]) -> str:
    """The data model as plain text for the terminal."""
    lines = []
    for spec in specs:
        lines.append(f"{spec.name}  (key: {', '.join(spec.key)})  {spec.description}")
        for col in spec.columns:
            rules = _rules(col, spec)
            lines.append(f"  {col.name:<22}{col.type:<11}{rules:<28}{col.description}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
