"""`read_imports`: files -> documents -> format -> provider readers -> one `Snapshot`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cloudfw import __version__
from cloudfw.imports import aws_config
from cloudfw.imports.aws import AwsImporter
from cloudfw.imports.aws_shapes import OUTPUTS
from cloudfw.imports.azure import AzureImporter, resources_of
from cloudfw.imports.base import ImportOptions, Unit
from cloudfw.imports.errors import ImportFileError
from cloudfw.imports.gcp import GcpImporter
from cloudfw.imports.schema import check
from cloudfw.imports.source import Document, documents, expand
from cloudfw.model import Coverage, CoverageStatus, Snapshot

__all__ = ["FORMATS", "ImportOptions", "read_imports"]

FORMATS = {
    "aws-cli": "aws ec2 describe-* / get-managed-prefix-list-entries --output json",
    "aws-config": "AWS Config snapshot / history files, get-resource-config-history, "
    "select-aggregate-resource-config",
    "azure-cli": "az network ... list/show (flattened properties)",
    "azure-resource-graph": "az graph query results, ARM REST listings (nested properties)",
    "gcloud": "gcloud compute ... list/describe --format=json (and projects get-ancestors)",
    "gcp-asset-inventory": "Cloud Asset Inventory exportAssets (JSON Lines) or "
    "searchAllResources results",
}
EXPECTED = (
    'expected an AWS CLI output ({"SecurityGroups": [...]}, {"NetworkAcls": [...]}, ...), '
    'AWS Config items ({"configurationItems": [...]}, {"Results": [...]}), Azure resources '
    '(a list with "id" and "type", or {"data": [...]}), gcloud objects ("kind": "compute#...") '
    'or Cloud Asset Inventory assets ("asset_type")'
)


def detect(value: object) -> str | None:
    """The format of one JSON document, from its content; None when it is not one we read."""
    if isinstance(value, dict):
        if any(k in value for k in OUTPUTS):
            return "aws-cli"
        if aws_config.is_config(value):
            return "aws-config"
        if "asset_type" in value or "assetType" in value or _search_results(value):
            return "gcp-asset-inventory"
        if str(value.get("kind", "")).startswith("compute#") or "projectId" in value:
            return "gcloud"
        if str(value.get("name", "")).startswith("folders/"):
            return "gcloud"
        if isinstance(value.get("data"), list | dict) or isinstance(value.get("value"), list):
            return "azure-resource-graph"
        if str(value.get("id", "")).lower().startswith("/subscriptions/"):
            return "azure-cli"
        return None
    if isinstance(value, list) and value and isinstance(value[0], dict):
        first = value[0]
        if aws_config.is_config(value):
            return "aws-config"
        if "asset_type" in first or "assetType" in first:
            return "gcp-asset-inventory"
        if str(first.get("kind", "")).startswith("compute#") or set(first) == {"id", "type"}:
            return "gcloud"
        if str(first.get("name", "")).startswith("folders/") or "projectId" in first:
            return "gcloud"
        if str(first.get("id", "")).lower().startswith("/subscriptions/"):
            fmt, _ = resources_of(Document("", value))
            return fmt
    return None


def _search_results(value: dict[str, object]) -> bool:
    res = value.get("results")
    return (
        isinstance(res, list)
        and bool(res)
        and isinstance(res[0], dict)
        and ("assetType" in res[0] or "asset_type" in res[0])
    )


@dataclass
class _Readers:
    opts: ImportOptions
    aws: AwsImporter = field(default_factory=AwsImporter)
    azure: AzureImporter = field(default_factory=AzureImporter)
    gcp: GcpImporter = field(default_factory=GcpImporter)
    per_file: dict[str, list[str | int]] = field(default_factory=dict)
    line_format: dict[str, str] = field(default_factory=dict)
    config_items: list[tuple[Document, str, dict[str, object]]] = field(default_factory=list)
    config_ignored: dict[str, int] = field(default_factory=dict)

    def add(self, doc: Document) -> None:
        fmt = self.opts.format or self.line_format.get(doc.file) or detect(doc.value)
        if doc.line is not None and fmt is not None:  # JSON Lines: one format per file
            self.line_format[doc.file] = fmt
        if fmt is None:
            if doc.value == [] or doc.value == {}:
                fmt = "empty"
            else:
                raise ImportFileError(f"{doc.where}: $: unknown JSON shape: {EXPECTED}")
        reader: Callable[[Document], int] = {
            "aws-cli": self.aws.add,
            "aws-config": self._config,
            "azure-cli": lambda d: self.azure.add(d, self.opts),
            "azure-resource-graph": lambda d: self.azure.add(d, self.opts),
            "gcloud": lambda d: self.gcp.add_gcloud(d, self.opts),
            "gcp-asset-inventory": self._assets,
            "empty": lambda d: 0,
        }[fmt]
        n = reader(doc)
        entry = self.per_file.setdefault(doc.file, [fmt, 0])
        entry[1] = int(entry[1]) + n

    def _config(self, doc: Document) -> int:
        """Configuration items are kept until every file is read: history files hold several
        captures of one resource, and only the latest counts (`flush_config`)."""
        if isinstance(doc.value, dict) and doc.value.get("NextToken"):
            self.aws.truncated.add(doc.file)  # one page of a paginated query
        items = aws_config.items_of(doc)
        self.config_items.extend((doc, path, item) for path, item in items)
        return len(items)

    def flush_config(self) -> None:
        specs = {kind: spec for kind, spec, _ in OUTPUTS.values()}
        latest = aws_config.latest([((d, p), it) for d, p, it in self.config_items])
        for (doc, path), item in latest:
            rtype = str(item.get("resourceType"))
            kind = aws_config.RESOURCE_KINDS.get(rtype)
            if kind is None:
                self.config_ignored[rtype] = self.config_ignored.get(rtype, 0) + 1
                continue
            api = aws_config.to_api(kind, item, doc.where, path)
            records = [api]
            if kind == "prefix_list_entries":
                records = aws_config.prefix_list_entries(api, item)
            for rec in records:
                check(rec, specs[kind], f"{path}.configuration", doc.where)
                self.aws.add_record(kind, rec, doc, path, aws_config.scope_of(item))
        self.config_items = []

    def _assets(self, doc: Document) -> int:
        v = doc.value
        if isinstance(v, dict) and isinstance(v.get("results"), list):
            items = [(f"$.results[{i}]", a) for i, a in enumerate(v["results"])]
        elif isinstance(v, list):
            items = [(f"$[{i}]", a) for i, a in enumerate(v)]
        else:
            items = [("$", v)]
        n = 0
        for path, asset in items:
            if not isinstance(asset, dict):
                raise ImportFileError(f"{doc.where}: {path}: expected an asset object")
            n += self.gcp.add_asset(doc, path, asset, self.opts)
        return n


def read_imports(paths: list[Path], opts: ImportOptions, now: datetime) -> Snapshot:
    """Every file under ``paths`` as one snapshot. Raises `ImportFileError` (exit 2) on a bad
    file; joins the files could not make are errors in the coverage (exit 3)."""
    if opts.format and opts.format not in FORMATS:
        raise ImportFileError(
            f"unknown --import-format {opts.format!r} (known: {', '.join(FORMATS)})"
        )
    readers = _Readers(opts)
    for path, group in expand(paths):
        for doc in documents(path, group):
            readers.add(doc)
    readers.flush_config()
    units: list[Unit] = [*readers.aws.finish(opts), *readers.azure.finish(),
                         *readers.gcp.finish()]  # fmt: skip
    if not units:
        raise ImportFileError(
            f"{', '.join(str(p) for p in paths)}: nothing to audit: no security group, network "
            "ACL, NSG, firewall or firewall policy in the files"
        )
    warnings = [w for u in units for w in u.warnings]
    ignored_by = (("AWS Config", readers.config_ignored), ("Azure", readers.azure.ignored),
                  ("GCP", readers.gcp.ignored))  # fmt: skip
    for what, ignored in ignored_by:
        if ignored:
            kinds = ", ".join(f"{t} ({n})" for t, n in sorted(ignored.items()))
            warnings.append(f"import: {what} resources of types cloudfw does not audit: {kinds}")
    coverage = [u.coverage() for u in units]
    coverage += [
        Coverage("import", f"file:{f}", CoverageStatus.OK, f"{fmt}: {n} record(s)", int(n))
        for f, (fmt, n) in sorted(readers.per_file.items())
    ]
    return Snapshot(
        rulesets=tuple(rs for u in units for rs in u.rulesets),
        coverage=tuple(coverage),
        collected_at=now,
        tool_version=__version__,
        warnings=tuple(warnings),
    )
