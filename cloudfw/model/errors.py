"""Error base for the model layer."""

from __future__ import annotations


class CloudfwError(Exception):
    """Root of every error cloudfw raises on purpose."""


class ModelError(CloudfwError, ValueError):
    """A value that does not fit the model (bad CIDR, port out of range, ...)."""


class DecodeError(ModelError):
    """A snapshot document that does not fit the model; ``path`` names the field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message
