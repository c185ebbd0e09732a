"""Error base for the host layer: every error names the file and, when known, the line."""

from __future__ import annotations

from cloudfw.model import CloudfwError


class HostError(CloudfwError):
    """Root of host-layer errors."""


class HostParseError(HostError):
    """A host snapshot file that cannot be read. ``str()`` is ``file:line: message``."""

    def __init__(self, location: str, message: str, line: int | None = None) -> None:
        where = f"{location}:{line}" if line is not None else location
        super().__init__(f"{where}: {message}")
        self.location = location
        self.line = line
        self.detail = message


class BundleError(HostError):
    """A snapshot bundle (directory or tar.gz) whose layout or manifest is wrong."""
