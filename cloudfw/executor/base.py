"""The executor's vocabulary: kinds of work, failures, a batch of submitted units."""

from __future__ import annotations

import copyreg
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from cloudfw.model import CloudfwError

R_co = TypeVar("R_co", covariant=True)

REASON_MAX = 300


class ExecutorError(CloudfwError):
    """The executor cannot run at all (scheduler unreachable, engine not installed)."""


class Work(StrEnum):
    IO = "io"  # waits on the network: threads here, tasks on a cluster
    CPU = "cpu"  # computes: processes here, tasks on a cluster


@dataclass(frozen=True)
class UnitFailure:
    """A unit that raised, or that no worker could finish (lost worker, dead process)."""

    index: int
    error: str  # one line: ``Type: message``
    kind: str = ""  # the exception's type name ("" when no exception: a lost worker)


class Batch(Protocol[R_co]):
    def results(self) -> Sequence[R_co | UnitFailure]:
        """Every unit's result, or its failure, in the order the units were given. Blocks."""
        ...

    def stream(self) -> Iterator[tuple[int, R_co | UnitFailure]]:
        """``(unit index, result or failure)`` in the order units finish, each given out once
        and not kept (for callers that must not hold every result at once). Use either this or
        `results`, once."""
        ...


def describe_failure(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def read_only(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(mapping)


def _reduce_proxy(m: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return read_only, (dict(m),)


def allow_pickling_read_only_mappings() -> None:
    """Units carry the loaded policy and catalog, whose read-only mappings are
    ``MappingProxyType``s, which pickle cannot copy by itself: teach it (a copy of the mapping,
    wrapped again on the other side). Idempotent; called when an executor is opened."""
    copyreg.pickle(MappingProxyType, _reduce_proxy)
