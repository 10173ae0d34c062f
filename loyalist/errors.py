"""The error hierarchy: everything loyalist raises on purpose derives from :class:`LoyalistError`.

Errors carry structured fields (``file``, ``line``, ``column``, ``customer_id``...) in
``details`` as well as a message, and declare the HTTP status the API should answer with. The
library never raises HTTP exceptions; the edges (CLI, API) render these.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LoyalistError(Exception):
    """Root of every error loyalist raises on purpose."""

    status: ClassVar[int] = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = {k: v for k, v in details.items() if v is not None}

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """Return the error as the API's ``{"type", "message", "details"}`` body."""
        return {"type": type(self).__name__, "message": self.message, "details": self.details}


class InputError(LoyalistError, ValueError):
    """Input that cannot be used as given (bad value, bad file, bad argument)."""

    status = 400


class ConfigError(InputError):
    """A setting has a value loyalist cannot use; ``details`` name the key and value."""


class SchemaError(InputError):
    """A table or column does not match the canonical data model."""


class ImportFileError(InputError):
    """A file could not be imported at all; nothing was loaded."""


class StrictImportError(ImportFileError):
    """``--strict`` import found rejected rows, so nothing was loaded."""


class NotFoundError(LoyalistError):
    """A named thing (customer, table, key) does not exist."""

    status = 404


class NotFittedError(LoyalistError, AttributeError):
    """A model was asked for predictions or parameters before ``fit``."""

    status = 409


class ConvergenceError(LoyalistError):
    """An optimiser did not reach a usable maximum of the likelihood."""

    status = 422


def yaml_problem(exc: Exception) -> str:
    """A YAML parse error in one line: what is wrong and where (line and column, 1-based)."""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem
