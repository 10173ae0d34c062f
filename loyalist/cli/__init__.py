"""The ``loyalist`` command line: thin commands over the library.

Settings are read once, in the main callback (:meth:`loyalist.config.Settings.from_env`,
overridden by ``--workspace``). Expected errors print one line and exit with status 2, with no
traceback. Each family of commands lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

from loyalist.cli import core  # noqa: F401  (registers the core commands)
from loyalist.cli import segments  # noqa: F401
from loyalist.cli import serve  # noqa: F401
from loyalist.cli import surveys  # noqa: F401
from loyalist.cli import risk  # noqa: F401
from loyalist.cli import tasks  # noqa: F401
from loyalist.cli import metrics  # noqa: F401
from loyalist.cli import program  # noqa: F401
from loyalist.cli import clv  # noqa: F401
from loyalist.cli.output import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``loyalist`` script."""
    app(prog_name="loyalist")


if __name__ == "__main__":
    main()
