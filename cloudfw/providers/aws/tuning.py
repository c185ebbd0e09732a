"""Transport tuning for the AWS collector (retries, timeouts), SDK-free so it imports cheaply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cloudfw.providers.base import CollectError

RETRY_MODES = ("legacy", "standard", "adaptive")


@dataclass(frozen=True)
class AwsTuning:
    """botocore retry mode, attempts per call (the first request included, as in
    ``AWS_MAX_ATTEMPTS``), socket timeouts, and whether to resolve managed prefix lists."""

    retry_mode: str = "adaptive"
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    resolve_prefix_lists: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AwsTuning:
        """Honour botocore's standard ``AWS_RETRY_MODE`` and ``AWS_MAX_ATTEMPTS`` when set."""
        mode = env.get("AWS_RETRY_MODE", cls.retry_mode).strip() or cls.retry_mode
        if mode not in RETRY_MODES:
            raise CollectError(f"AWS_RETRY_MODE: {mode!r} is not one of {', '.join(RETRY_MODES)}")
        attempts_text = env.get("AWS_MAX_ATTEMPTS", "").strip()
        attempts = cls.max_attempts
        if attempts_text:
            try:
                attempts = int(attempts_text)
            except ValueError:
                raise CollectError(f"AWS_MAX_ATTEMPTS: {attempts_text!r} is not a number") from None
            if attempts < 1:
                raise CollectError(f"AWS_MAX_ATTEMPTS: {attempts} must be at least 1")
        return cls(retry_mode=mode, max_attempts=attempts)
