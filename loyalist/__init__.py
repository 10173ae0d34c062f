"""loyalist: customer loyalty and retention analytics, CLV, loyalty program and surveys."""

from __future__ import annotations

from loyalist.data import import_file, load
from loyalist.errors import LoyalistError
from loyalist.store import Workspace

__version__ = "0.1.0"

__all__ = ["LoyalistError", "Workspace", "__version__", "import_file", "load"]
