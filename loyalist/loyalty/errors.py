"""Errors of the loyalty program; all derive from :class:`~loyalist.errors.LoyalistError`."""

from __future__ import annotations

from typing import ClassVar

from loyalist.errors import InputError, LoyalistError


class ProgramError(InputError):
    """A program definition is invalid; ``details["key"]`` is its key path.

    For example ``earning[2].points``.
    """


class IdempotencyConflictError(InputError):
    """An idempotency key was used before for a different request."""

    status = 409


class RedemptionError(LoyalistError):
    """A spend or redemption was refused (the refusal is the key's stored first result)."""

    status: ClassVar[int] = 409


class InsufficientPointsError(RedemptionError):
    """Not enough available points."""


class OutOfStockError(RedemptionError):
    """The reward has no stock left."""


class NotEligibleError(RedemptionError):
    """The member may not redeem this reward (tier, segment, tenure or dates)."""

    status = 403


REFUSALS: dict[str, type[RedemptionError]] = {
    cls.__name__: cls for cls in (InsufficientPointsError, OutOfStockError, NotEligibleError)}
