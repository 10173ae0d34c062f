"""Helpers every command module uses: settings, choices, progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from loyalist.cli.output import err
from loyalist.config import Settings
from loyalist.errors import InputError


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the main callback built (read once, at the edge)."""
    settings: Settings = ctx.find_root().obj
    return settings


def check_choice(option: str, value: str, choices: Sequence[str]) -> None:
    """Raise an input error unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise InputError(f"{option} must be one of {', '.join(choices)}, got {value!r}",
                         option=option, value=value)


class progress_steps:  # noqa: N801 - used as a context manager like a function
    """A spinner with the current step, shown only on a terminal when enabled."""

    def __init__(self, settings: Settings, enabled: bool) -> None:
        self.enabled = enabled and settings.progress and err.is_terminal
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda _name: None
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                  TimeElapsedColumn(), console=err, transient=True)
        self._progress.start()
        self._task = self._progress.add_task("starting", total=None)
        progress, task = self._progress, self._task
        return lambda name: progress.update(task, description=name)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
