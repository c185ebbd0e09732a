"""Error base for the model layer."""

from __future__ import annotations


class CloudfwError(Exception):
    """Root of every error cloudfw raises on purpose."""


class ModelError(CloudfwError, ValueError):
    """A value that does not fit the model (bad CIDR, port out of range, ...)."""
