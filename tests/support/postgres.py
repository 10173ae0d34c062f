"""A throw-away PostgreSQL server started from the machine's binaries, for the tests.

``initdb`` refuses to run as root, so when the tests run as root the server runs as ``nobody``
(``setpriv``); it listens on 127.0.0.1 on a free port, in a temporary directory, and is stopped
and deleted at the end of the session.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def find_bin_dir() -> Path:
    """Directory with ``initdb`` and ``pg_ctl`` (newest PostgreSQL installed)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found; .ci/run installs them")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a SQLAlchemy URL (psycopg 3) of database ``loyalist``."""
    bindir = find_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="loyalist-pg-"))
    data = root / "data"
    port = _free_port()
    if os.geteuid() == 0:
        os.chmod(root, 0o777)
    env = {**os.environ, "LC_ALL": "C"}
    run = lambda cmd: subprocess.run(  # noqa: E731
        _as_server_user(cmd), check=True, capture_output=True, env=env, cwd=root)
    try:
        run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "--no-sync", "-E", "UTF8"])
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
             "-w", "start"])
        try:
            createdb = bindir / "createdb"
            run([str(createdb) if createdb.exists() else "createdb", "-h", "127.0.0.1",
                 "-p", str(port), "-U", "postgres", "loyalist"])
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/loyalist"
        finally:
            run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
