"""What every import reader returns: scope units, each normalized like a live collection's."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudfw.model import Coverage, CoverageStatus, RuleSet

FILES_NAMED = 3  # in a scope's coverage reason


@dataclass(frozen=True)
class ImportOptions:
    """Scope for files that do not name their own; ``format`` forces a reader."""

    account: str = ""
    region: str = ""
    project: str = ""
    format: str = ""


@dataclass
class Unit:
    """One scope unit (``aws:<account>:<region>``, ``azure:<sub>``, ``gcp:<project>``)."""

    provider: str
    scope: str
    rulesets: tuple[RuleSet, ...] = ()
    missing: list[str] = field(default_factory=list)  # joins that were impossible
    warnings: list[str] = field(default_factory=list)
    files: set[str] = field(default_factory=set)

    def coverage(self) -> Coverage:
        names = sorted(self.files)  # each file has its own `file:` coverage entry too
        files = ", ".join(names[:FILES_NAMED])
        if len(names) > FILES_NAMED:
            files += f" and {len(names) - FILES_NAMED} more files"
        if self.missing:
            reason = f"imported from {files}; not in the files: " + "; ".join(self.missing)
            return Coverage(self.provider, self.scope, CoverageStatus.ERROR, reason,
                            len(self.rulesets))  # fmt: skip
        return Coverage(self.provider, self.scope, CoverageStatus.OK, f"imported from {files}",
                        len(self.rulesets))  # fmt: skip


def scope_error(scope: str, files: set[str], errors: list[str] | tuple[str, ...]) -> str:
    """The message for records a normalizer could not model: the files, then the first error."""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{', '.join(sorted(files))} ({scope}): {errors[0]}{more}"
