"""Access control: API keys with roles, stored hashed in the operational store."""

from __future__ import annotations

from loyalist.access.keys import ROLES, ApiKey, AuthError, KeyStore

__all__ = ["ROLES", "ApiKey", "AuthError", "KeyStore"]
