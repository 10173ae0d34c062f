"""Commands for the web app: ``serve`` and ``keys``."""

from __future__ import annotations

from typing import Annotated

import typer

from loyalist.access.keys import ROLES, KeyStore
from loyalist.cli.common import check_choice, settings_of
from loyalist.cli.output import app, err, out, print_rows
from loyalist.store.operational import connect_operational, default_url

keys_app = typer.Typer(help="API keys with roles (viewer, analyst, admin).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    open_access: Annotated[bool, typer.Option(
        "--open", help="No API keys needed (only on 127.0.0.1).")] = False,
) -> None:
    """Start the dashboard and the REST API (docs at /docs)."""
    import uvicorn

    from loyalist.api import create_app

    application = create_app(settings_of(ctx), open_access=open_access, host=host)
    err.print(f"loyalist dashboard on http://{host}:{port}/ (API docs: /docs)"
              + (" — open access" if open_access else " — API key required"), highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning")


def _store(ctx: typer.Context) -> KeyStore:
    settings = settings_of(ctx)
    return KeyStore(connect_operational(settings.operational_url
                                        or default_url(settings.workspace)))


@keys_app.command("create")
def create_key(ctx: typer.Context,
               role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
               name: Annotated[str, typer.Option(help="What the key is for.")] = "") -> None:
    """Create a key and print it (shown once: store it now)."""
    check_choice("--role", role, ROLES)
    out.print(_store(ctx).create(role, name), highlight=False)


@keys_app.command("list")
def list_keys(ctx: typer.Context,
              fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
              ) -> None:
    """List keys (never their secrets)."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    rows = [{"key_id": k.key_id, "name": k.name, "role": k.role, "created_at": k.created_at,
             "revoked_at": k.revoked_at} for k in _store(ctx).list()]
    print_rows(rows, fmt, title=f"{len(rows)} key(s)", limit=len(rows))


@keys_app.command("revoke")
def revoke_key(ctx: typer.Context, key_id: str) -> None:
    """Revoke a key by its id."""
    _store(ctx).revoke(key_id)
    out.print(f"revoked {key_id}", highlight=False)
