"""Settings: one object, read once at the edge (CLI or app) and passed down.

Every setting has an environment variable with the ``LOYALIST_`` prefix. Library code never reads
``os.environ``; the CLI and the web app call :meth:`Settings.from_env` once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from loyalist.errors import ConfigError

PREFIX = "LOYALIST_"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Runtime settings.

    Parameters
    ----------
    workspace
        Directory holding the analytics database, the operational store and reports.
    operational_url
        SQLAlchemy URL of the operational store (ledger, surveys, tasks, API keys). ``None`` means a
        SQLite file in WAL mode inside the workspace.
    progress
        Whether the CLI shows progress bars.
    survey_secret
        Key that signs survey links; ``None`` means one generated and kept in the operational
        store (set it when several servers share a store).
    program_file
        YAML file of the loyalty program; ``None`` means the program last applied with
        ``loyalist program apply`` (kept in the operational store).
    """

    workspace: Path = Path("loyalist-data")
    operational_url: str | None = None
    progress: bool = True
    survey_secret: str | None = dataclasses.field(default=None, repr=False)
    program_file: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from ``LOYALIST_*`` variables; unknown keys and bad values are errors."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for key, raw in environ.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :].lower()
            if name not in fields:
                known = ", ".join(PREFIX + f.upper() for f in fields)
                raise ConfigError(
                    f"unknown setting {key}={raw!r} (known: {known})", key=key, value=raw
                )
            values[name] = _parse(key, raw, fields[name].type)
        return cls(**values)  # type: ignore[arg-type]


def _parse(key: str, raw: str, kind: object) -> object:
    text = str(kind)
    if "Path" in text:
        if not raw.strip():
            raise ConfigError(f"setting {key} must not be empty", key=key, value=raw)
        return Path(raw)
    if "bool" in text:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"setting {key}={raw!r} is not a boolean", key=key, value=raw)
    return raw or None
