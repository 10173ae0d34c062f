"""The HTML shell of the report: one file, styles inlined, nothing loaded from elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2733;
background:#f6f7f9}
header{background:#1f3b5c;color:#fff;padding:20px 32px}header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;opacity:.8}main{max-width:1000px;margin:0 auto;padding:16px 32px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;
box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:18px;margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{flex:1 1 150px;border:1px solid #e3e6ea;
border-radius:6px;padding:10px 12px}.card .v{font-size:22px;font-weight:600}
.card .k{font-size:12px;color:#5b6775;text-transform:uppercase;letter-spacing:.04em}
.caption{font-size:13px;color:#5b6775;margin:8px 0 0}.axis{font-size:11px;fill:#5b6775}
table{border-collapse:collapse;font-size:13px;width:100%}
td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.absent{color:#8a5a00}
table.grid td{text-align:center;min-width:44px}td.t{text-align:left}
section{overflow-x:auto}
"""


@dataclass(frozen=True)
class Section:
    """One section of the report: a title, its HTML body and a caption saying what it means."""

    title: str
    body: str
    caption: str = ""


def card(label: str, value: str) -> str:
    """One headline number."""
    return f'<div class="card"><div class="k">{escape(label)}</div><div class="v">' \
           f"{escape(value)}</div></div>"


def absent(what: str, fill: str) -> Section:
    """A section whose data are absent: one line saying so and which import fills it."""
    return Section(what, f'<p class="absent">No data yet. {escape(fill)}</p>')


def page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """Render the whole report as one self-contained HTML document."""
    body = []
    for s in sections:
        caption = f'<p class="caption">{escape(s.caption)}</p>' if s.caption else ""
        body.append(f"<section><h2>{escape(s.title)}</h2>{s.body}{caption}</section>")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f"<main>{''.join(body)}</main></body></html>"
    )
