"""The program in force: applied with ``loyalist program apply`` and kept in the operational store.

Each apply stores the YAML text as a new version (the history stays for the audit trail); the
newest version is the program in force, unless the ``program_file`` setting names a file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from loyalist.errors import ImportFileError, LoyalistError
from loyalist.loyalty.ledger import Ledger
from loyalist.loyalty.program import load_program
from loyalist.loyalty.program_schema import Program

metadata = sa.MetaData()
programs = sa.Table(
    "loyalty_programs", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("program_id", sa.String(100), nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)


# Bumped by every apply in this process: its LedgerSources look the version up again at once.
_APPLIES = itertools.count(1)
_applied = [0]


class NoProgramError(LoyalistError):
    """No loyalty program has been applied (and no program file is set)."""

    status = 409


def read_text(file: Path) -> str:
    """The text of a program file; an unreadable file is an input error naming it."""
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{file}: cannot read ({exc})", file=str(file)) from exc


def apply_program(engine: sa.Engine, text: str, *, now: dt.datetime | None = None,
                  ) -> tuple[Program, int]:
    r"""Validate program YAML and store it as the program in force; return it and its version.

    Also creates the ledger's tables and the stock of rewards that have none yet.

    Examples
    --------
    >>> engine = sa.create_engine("sqlite://")
    >>> program, version = apply_program(engine, "id: shop\nearning: []\n")
    >>> (program.id, version, current_program(engine).id)
    ('shop', 1, 'shop')
    """
    program = load_program(text if "\n" in text else text + "\n")
    metadata.create_all(engine)
    Ledger(engine, program).ensure_schema()  # tables, and the stock of newly stocked rewards
    with engine.begin() as conn:
        version = conn.execute(programs.insert().values(
            program_id=program.id, definition=text,
            applied_at=now or dt.datetime.now(dt.UTC).replace(tzinfo=None))).inserted_primary_key
    _applied[0] = next(_APPLIES)
    return program, int(version[0]) if version is not None else 0


def current_program(engine: sa.Engine, program_file: Path | None = None) -> Program:
    """The program in force: ``program_file`` if given, else the newest applied version."""
    if program_file is not None:
        return load_program(read_text(program_file))
    metadata.create_all(engine)
    with engine.connect() as conn:
        text = conn.execute(sa.select(programs.c.definition).order_by(
            programs.c.version.desc()).limit(1)).scalar()
    if text is None:
        raise NoProgramError("no loyalty program: apply one with 'loyalist program apply FILE' "
                             "or set LOYALIST_PROGRAM_FILE")
    return load_program(text if "\n" in text else text + "\n")


class LedgerSource:
    """The ledger of the program in force, rebuilt when a newer program version is applied.

    One cheap query finds the newest version, at most once every ``recheck_seconds`` (1 s by
    default; ``0``: on every call): a version applied by another process (the CLI) is in force
    here within that time, one applied in this process at once. A program file
    (``program_file``) is re-read when its modification time changes (checked on every call).
    Thread-safe: the API calls it from its workers.
    """

    def __init__(self, engine: sa.Engine, program_file: Path | None = None, *,
                 recheck_seconds: float = 1.0) -> None:
        self.engine = engine
        self.program_file = program_file
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._cached: tuple[object, Ledger] | None = None
        # (monotonic time until which the stored version holds, applies seen) when it was read
        self._checked = (0.0, 0)
        metadata.create_all(engine)

    def _version(self) -> object:
        if self.program_file is not None:
            try:
                return self.program_file.stat().st_mtime_ns
            except OSError:
                return None  # read_text names the file and the problem
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.max(programs.c.version))).scalar()

    def ledger(self) -> Ledger:
        """The :class:`Ledger` of the program in force (:class:`NoProgramError` if none)."""
        cached, (until, applies) = self._cached, self._checked
        if cached is not None and self.program_file is None and applies == _applied[0] \
                and time.monotonic() < until:
            return cached[1]
        applies = _applied[0]
        ledger = self._of_version(self._version())
        self._checked = (time.monotonic() + self.recheck_seconds, applies)
        return ledger

    def _of_version(self, version: object) -> Ledger:
        cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            if self._cached is not None and self._cached[0] == version:
                return self._cached[1]
            ledger = Ledger(self.engine, current_program(self.engine, self.program_file))
            ledger.ensure_schema()
            self._cached = (version, ledger)
            return ledger
