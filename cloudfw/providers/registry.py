"""Provider name -> collector, imported lazily so `cloudfw --help` never pays for cloud SDKs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from cloudfw.model import Snapshot
from cloudfw.providers.base import CollectError, CollectOptions, Progress

PROVIDERS: dict[str, str] = {
    "aws": "cloudfw.providers.aws",
    "azure": "cloudfw.providers.azure",
    "gcp": "cloudfw.providers.gcp",
}

Collector = Callable[[CollectOptions, Progress], Snapshot]


def collector(name: str) -> Collector:
    try:
        module_name = PROVIDERS[name]
    except KeyError:
        raise CollectError(f"unknown provider {name!r} (known: {', '.join(PROVIDERS)})") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CollectError(f"provider {name!r} is not available: {exc}") from None
    return cast(Collector, module.collect)
