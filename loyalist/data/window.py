"""The plausible window for dates and timestamps in a business's data.

Dates such as ``0001-01-01``, ``9999-12-31`` or ``275760-01-01`` are typos or placeholders, never
real orders; stored, they break every analysis that looks months back and ahead of them. Imports
reject values outside the window (with their reason) and the API answers 422 for them; the
window is a setting (``LOYALIST_TIMESTAMP_WINDOW``, ``FROM..UNTIL``) whose default keeps every
real data set we ship.

Examples
--------
>>> w = TimestampWindow.parse("1990-01-01..2030-12-31")
>>> w.contains(dt.datetime(2024, 5, 1, 12, 30)), w.contains(dt.date(9999, 12, 31))
(True, False)
>>> str(DEFAULT_WINDOW)
'1900-01-01..2199-12-31'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loyalist.errors import ConfigError


@dataclass(frozen=True)
class TimestampWindow:
    """Dates from ``earliest`` to ``latest``, both days included."""

    earliest: dt.date
    latest: dt.date

    def __post_init__(self) -> None:
        if self.earliest > self.latest:
            raise ConfigError(f"timestamp window {self} ends before it starts",
                              key="timestamp_window", value=str(self))

    def __str__(self) -> str:
        return f"{self.earliest.isoformat()}..{self.latest.isoformat()}"

    @classmethod
    def parse(cls, text: str) -> TimestampWindow:
        """``FROM..UNTIL`` (ISO dates, both included) as a window; a bad text is a ConfigError."""
        first, sep, last = text.strip().partition("..")
        try:
            if not sep:
                raise ValueError(text)
            return cls(dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip()))
        except ValueError:
            raise ConfigError(f"timestamp window must be FROM..UNTIL with ISO dates "
                              f"(e.g. {DEFAULT_TEXT}), got {text!r}",
                              key="timestamp_window", value=text) from None

    @property
    def start(self) -> dt.datetime:
        """The first instant inside the window."""
        return dt.datetime.combine(self.earliest, dt.time())

    @property
    def end(self) -> dt.datetime:
        """The first instant after the window (exclusive bound)."""
        return dt.datetime.combine(self.latest + dt.timedelta(days=1), dt.time())

    def contains(self, value: dt.date | dt.datetime) -> bool:
        """Whether ``value`` (a date, or a naive or aware datetime) lies inside the window."""
        day = value.date() if isinstance(value, dt.datetime) else value
        return self.earliest <= day <= self.latest

    def reason(self) -> str:
        """The reject reason for a value outside the window."""
        return f"outside the plausible window {self} (setting LOYALIST_TIMESTAMP_WINDOW)"


DEFAULT_TEXT = "1900-01-01..2199-12-31"
#: wide enough for every real data set we ship (CDNOW 1997-98, Online Retail 2010-11, telco),
#: narrow enough that analyses months before and after any value stay within the calendar
DEFAULT_WINDOW = TimestampWindow.parse(DEFAULT_TEXT)

__all__ = ["DEFAULT_WINDOW", "TimestampWindow"]
