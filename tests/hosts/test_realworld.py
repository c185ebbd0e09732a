"""Real-world conformance corpus (issue 13): host firewall files in the exact layouts real tools
print, each with the facts a correct auditor must report (tests/hosts/realworld/MANIFEST.yaml).

- ``test_golden``: each file or bundle through ``cloudfw host audit --format json`` -> a
  reviewable summary in realworld/golden/ (cloudfw's current output; ``CLOUDFW_UPDATE_GOLDEN=1``
  regenerates it, and the README tally with it).
- ``test_expect``: every fact of the manifest, one case per (file, fact). The facts are the spec;
  the ones today's code gets wrong are in KNOWN_WRONG below and run as strict xfails, so a fix
  turns them into XPASS failures: then delete their line here.
- ``test_validator``: the real tool (nft, iptables-restore, pfctl) re-judges each file whose
  entry names one, when it is installed; the manifest's claim must agree.
- ``test_tally``: files, parsed, rejected, expectation failures; the README's tally is current.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from cloudfw.cli import host, host_audit
from cloudfw.hosts.audit import load_snapshot
from cloudfw.hosts.parsers import detect
from cloudfw.model import Snapshot

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "realworld"
GOLDEN = CORPUS / "golden"
README = CORPUS / "README.md"
UPDATE = os.environ.get("CLOUDFW_UPDATE_GOLDEN") == "1"
NOW = datetime(2026, 11, 24, tzinfo=UTC)

# What today's code gets wrong: file -> {fact id -> what cloudfw does instead}. The one place to
# edit: when a fix lands, its cases XPASS (strict) and fail until their line is removed here.
KNOWN_WRONG: dict[str, dict[str, str]] = {}

SEVERITIES = ("info", "low", "medium", "high", "critical")
EXPOSURE = re.compile(r"^(allow-all|internet-ingress\[.*\])$")
NOT_CORPUS = {"MANIFEST.yaml", "README.md", "golden", "src"}


def _manifest() -> list[dict[str, Any]]:
    doc = yaml.safe_load((CORPUS / "MANIFEST.yaml").read_text(encoding="utf-8"))
    entries = doc["entries"]
    assert isinstance(entries, list)
    return entries


ENTRIES = _manifest()
BY_FILE = {e["file"]: e for e in ENTRIES}


# -- running the real audit path -------------------------------------------------------------


def _app() -> typer.Typer:
    a = typer.Typer()

    @a.callback()
    def main() -> None:
        """realworld corpus"""

    host.register(a)
    host_audit.register(a)
    return a


APP = _app()


@cache
def audit(name: str) -> tuple[int, dict[str, Any]]:
    """``cloudfw host audit CORPUS/name --format json`` through the CLI: (exit code, report)."""
    res = CliRunner().invoke(
        APP, ["host", "audit", str(CORPUS / name), "--format", "json", "--no-store"]
    )
    assert res.exit_code in (0, 1, 3), f"{name}: exit {res.exit_code}: {res.output[-400:]}"
    doc = json.loads(res.stdout)
    assert isinstance(doc, dict)
    return res.exit_code, doc


@cache
def snapshot(name: str) -> Snapshot:
    return load_snapshot([CORPUS / name], NOW)


def _rel(text: str) -> str:
    return text.replace(str(CORPUS) + "/", "").replace(str(CORPUS), ".")


def summary(name: str) -> dict[str, Any]:
    """The golden: rule sets, coverage and findings, stable and small enough to review."""
    code, rep = audit(name)
    snap = snapshot(name)
    return {
        "exit_code": code,
        "complete": rep["complete"],
        "coverage": [
            {"scope": _rel(c["scope"]), "status": c["status"], "reason": _rel(c.get("reason", ""))}
            for c in rep["coverage"]
        ],
        "rulesets": [
            {
                "resource_type": rs.asset.resource_type,
                "semantics": str(rs.semantics),
                "enabled": rs.enabled,
                "default_ingress": str(rs.default_ingress),
                "default_egress": str(rs.default_egress),
                "rules": len(rs.rules),
                "tags": dict(rs.asset.tags),
            }
            for rs in snap.rulesets
        ],
        "findings": [
            {
                "check": f["check"],
                "severity": f["severity"],
                "resource_id": f["resource_id"],
                "rule_ids": f.get("rule_ids", []),
                "message": _rel(f["message"]),
            }
            for f in rep["findings"]
        ],
        "warnings": [_rel(w) for w in rep.get("warnings", [])],
    }


# -- the expectation vocabulary --------------------------------------------------------------


def _sev(s: str) -> int:
    return SEVERITIES.index(s)


def _findings(name: str) -> list[dict[str, Any]]:
    return list(audit(name)[1]["findings"])


def _parsed(name: str) -> bool:
    code, rep = audit(name)
    return code != 3 and bool(rep["complete"]) and all(c["status"] == "ok" for c in rep["coverage"])


def _files(name: str) -> dict[str, Path]:
    p = CORPUS / name
    if p.is_dir():
        return {f.name: f for f in sorted(p.iterdir()) if f.name != "manifest.json"}
    return {p.name: p}


def internet_interfaces(snap: Snapshot) -> set[str]:
    """The host's interfaces that face the internet, from the interface list the assembler gives
    its rule sets (`RuleSet.internet_facing`)."""
    out: set[str] = set()
    for rs in snap.rulesets:
        out |= {i.name for i in rs.internet_facing() or ()}
    return out


def _glob(check: str, pattern: str) -> bool:
    """``*`` is the only wildcard: ``internet-ingress[ssh]`` names that check (fnmatch would
    read ``[ssh]`` as a character class and match nothing)."""
    return fnmatch.fnmatchcase(check, pattern.replace("[", "[[]"))


def _severity_fits(sev: str, spec: dict[str, str]) -> bool:
    n = _sev(sev)
    return (
        ("severity" not in spec or sev == spec["severity"])
        and ("severity_at_most" not in spec or n <= _sev(spec["severity_at_most"]))
        and ("severity_at_least" not in spec or n >= _sev(spec["severity_at_least"]))
    )


def _folded_into(findings: list[dict[str, Any]], check: str) -> list[dict[str, Any]]:
    """The allow-all findings that fold ``internet-ingress[X]`` in (``evidence.services``
    holds X): cloudfw reports one allow-all for a rule set open to everything, not one finding
    per service (README "What it reports")."""
    m = re.fullmatch(r"internet-ingress\[(.+)\]", check)
    if not m:
        return []
    return [
        f
        for f in findings
        if f["check"] == "allow-all" and m.group(1) in (f.get("evidence", {}).get("services") or [])
    ]


def _as_fold(spec: dict[str, str]) -> dict[str, str]:
    """A service's severity read on the allow-all that folds it in: the fold is as grave as its
    gravest service, so an exact ``severity`` there means "at least"."""
    out = {k: v for k, v in spec.items() if k != "severity"}
    if "severity" in spec:
        out["severity_at_least"] = spec["severity"]
    return out


def _per_service(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings of one rule folded over several services (``internet-ingress[rdp,smb]``, with
    ``evidence.services``: cloudfw.model.fold) as one finding per service, each at its own
    severity, so that the manifest's facts name services as before."""
    out: list[dict[str, Any]] = []
    for f in findings:
        items = (f.get("evidence") or {}).get("services") or []
        if f["check"] == "allow-all" or not items or not isinstance(items[0], dict):
            out.append(f)
            continue
        base = f["check"].split("[", 1)[0]
        out.extend({**f, "check": f"{base}[{it['service']}]", "severity": it["severity"]}
                   for it in items)  # fmt: skip
    return out


def check_fact(name: str, fact: str, value: Any) -> None:
    """Assert one manifest fact about ``name`` (one branch per word of the vocabulary)."""
    kind, _, arg = fact.partition(":")
    findings = _per_service(_findings(name))
    checks = [f["check"] for f in findings]
    if kind == "format":
        files = _files(name)
        want = value if isinstance(value, dict) else {next(iter(files)): value}
        for fname, fmt in want.items():
            got = detect(files[fname].read_bytes())
            assert got is not None and got.name == fmt, (
                f"{fname}: detected {got.name if got else None!r}, expected {fmt!r}"
            )
    elif kind == "parses":
        code, rep = audit(name)
        errors = [c.get("reason", "") for c in rep["coverage"] if c["status"] != "ok"]
        if value:
            assert _parsed(name), f"refused (exit {code}): {errors}"
        else:
            assert code == 3 and errors, f"accepted (exit {code}); the real tool rejects it"
    elif kind == "error_line":
        lines = value if isinstance(value, list) else [value]
        reasons = [c.get("reason", "") for c in audit(name)[1]["coverage"] if c["status"] != "ok"]
        assert any(re.search(rf":{n}:", r) for r in reasons for n in lines), (
            f"no error at line {lines}: {reasons}"
        )
    elif kind == "rulesets":
        got = audit(name)[1]["summary"]["rulesets"]
        assert got == value, f"{got} rule sets, expected {value}"
    elif kind == "finding":
        spec = value
        hits = [f for f in findings if f["check"] == spec["check"]]
        folded = _folded_into(findings, spec["check"])
        assert hits or folded, f"no {spec['check']} finding; got {sorted(set(checks))}"
        ok = [f for f in hits if _severity_fits(f["severity"], spec)]
        ok += [f for f in folded if _severity_fits(f["severity"], _as_fold(spec))]
        got = sorted({f["severity"] for f in hits + folded})
        assert ok, f"{spec['check']} at {got}, expected {spec}"
    elif kind == "no_finding":
        bad = [f"{f['check']} ({f['severity']})" for f in findings if _glob(f["check"], arg)]
        assert not bad, f"reported {bad}"  # fmt: skip
    elif kind == "no_check":
        bad = [
            f"{f['check']} {f.get('rule_ids')}" for f in findings if f["check"].split("[")[0] == arg
        ]
        assert not bad, f"reported {len(bad)}: {bad[:6]}"  # fmt: skip
    elif kind == "at_most":
        bad = [
            f"{f['check']} {f['severity']}"
            for f in findings
            if _glob(f["check"], arg) and _sev(f["severity"]) > _sev(value)
        ]
        assert not bad, f"above {value}: {bad}"
    elif kind == "interface_assumed":
        silent = [
            f"{f['check']} ({f['severity']}): {f['message'][:90]}"
            for f in findings
            if EXPOSURE.match(f["check"])
            and "interface" not in f["message"].lower()
            and f.get("evidence", {}).get("internet_interfaces") != "any"
        ]
        assert not silent, f"exposure reported without the interface it assumes: {silent}"
    elif kind == "internet_interfaces":
        got = internet_interfaces(snapshot(name))
        assert got == set(value), f"internet-facing interfaces {sorted(got)}, expected {value}"
    elif kind == "state_unknown":
        code, rep = audit(name)
        assert not rep["complete"] or "firewall-state-unknown" in checks, (
            f"reported complete with {sorted(set(checks)) or 'no findings'} (exit {code})"
        )
    else:
        raise AssertionError(f"unknown expectation {fact!r}")


def facts(entry: dict[str, Any]) -> list[tuple[str, Any]]:
    """(fact id, value) for every fact of an entry; list facts are split per item."""
    out: list[tuple[str, Any]] = [("format", entry["format"])]
    for key, value in entry.get("expect", {}).items():
        if key == "finding":
            out += [(f"finding:{v['check']}", v) for v in value]
        elif key in ("no_finding", "no_check"):
            out += [(f"{key}:{v}", True) for v in value]
        elif key == "at_most":
            out += [(f"at_most:{k}", v) for k, v in value.items()]
        else:
            out.append((key, value))
    return out


def _cases() -> list[Any]:
    cases = []
    for e in ENTRIES:
        wrong = KNOWN_WRONG.get(e["file"], {})
        for fact, value in facts(e):
            marks = []
            if fact in wrong:
                marks.append(pytest.mark.xfail(strict=True, reason=f"issue 13: {wrong[fact]}"))
            cases.append(pytest.param(e["file"], fact, value, id=f"{e['file']}::{fact}",
                                      marks=marks))  # fmt: skip
    return cases


# -- tests -----------------------------------------------------------------------------------


REQUIRED = {"file", "format", "shape_from", "validator", "real_tool_accepts", "expect"}


def test_corpus_is_listed_and_large_enough() -> None:
    on_disk = {
        p.name for p in CORPUS.iterdir() if p.name not in NOT_CORPUS and not p.name.startswith(".")
    }
    listed = set(BY_FILE)
    assert len(listed) == len(ENTRIES), "an entry is listed twice"
    assert on_disk == listed, f"unlisted: {on_disk - listed}; missing: {listed - on_disk}"
    assert len(ENTRIES) >= 40
    assert sum(not e["real_tool_accepts"] for e in ENTRIES) >= 5
    for e in ENTRIES:
        assert e.keys() >= REQUIRED, (e["file"], REQUIRED - e.keys())
        # a file the real tool rejects must be refused, one it accepts must be read
        parses = e["expect"].get("parses")
        assert parses is e["real_tool_accepts"] or "state_unknown" in e["expect"], e["file"]
    assert set(KNOWN_WRONG) <= listed, (
        f"KNOWN_WRONG names unknown files: {set(KNOWN_WRONG) - listed}"
    )
    stale = {f: set(w) - {k for k, _ in facts(BY_FILE[f])} for f, w in KNOWN_WRONG.items()}
    assert not any(stale.values()), f"KNOWN_WRONG names facts the manifest does not have: {stale}"


@pytest.mark.parametrize("name", [e["file"] for e in ENTRIES])
def test_golden(name: str) -> None:
    doc = summary(name)
    path = GOLDEN / f"{name}.json"
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with CLOUDFW_UPDATE_GOLDEN=1"
    assert json.loads(path.read_text(encoding="utf-8")) == doc, (
        f"{name}: cloudfw's output changed; review and regenerate with CLOUDFW_UPDATE_GOLDEN=1"
    )


@pytest.mark.parametrize(("name", "fact", "value"), _cases())
def test_expect(name: str, fact: str, value: Any) -> None:
    check_fact(name, fact, value)


# -- the real tools --------------------------------------------------------------------------

TOOLS: dict[str, list[str]] = {
    "iptables-restore --test": ["iptables-restore", "--test"],
    "ip6tables-restore --test": ["ip6tables-restore", "--test"],
    "iptables-legacy-restore --test": ["iptables-legacy-restore", "--test"],
    "nft -c": ["nft", "-j", "-c", "-f"],
}


@cache
def _netns_ok() -> str:
    """'' when an unprivileged network namespace can be made here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not on PATH"
    res = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True, check=False)
    return "" if res.returncode == 0 else f"unshare -rn fails here: {res.stderr.strip()[:120]}"


def _validations() -> list[Any]:
    out = []
    for e in ENTRIES:
        v = e["validator"]
        per_file = v if isinstance(v, dict) else ({} if v == "none" else {e["file"]: v})
        for fname, tool in per_file.items():
            out.append(pytest.param(e["file"], fname, tool, id=f"{e['file']}::{fname}"))
    return out


@pytest.mark.parametrize(("name", "fname", "tool"), _validations())
def test_validator(name: str, fname: str, tool: str) -> None:
    entry = BY_FILE[name]
    path = CORPUS / name if fname == name else CORPUS / name / fname
    if tool == "pf.conf(5) grammar":
        assert entry.get("grammar_note"), f"{name}: a pf verdict needs its grammar_note"
        if shutil.which("pfctl") is None:
            pytest.skip(
                "pfctl is not available on this machine (no Debian package); the manifest records "
                f"the pf.conf(5) verdict instead: {entry['grammar_note']}"
            )
        res = subprocess.run(["pfctl", "-nf", str(path)], capture_output=True, text=True,
                             check=False, timeout=60)  # fmt: skip
    else:
        argv = TOOLS[tool]
        if shutil.which(argv[0]) is None:
            pytest.skip(f"{argv[0]} is not on PATH (Debian package iptables / nftables)")
        why = _netns_ok()
        if why:
            pytest.skip(f"cannot run {tool} in a throwaway network namespace: {why}")
        res = subprocess.run(["unshare", "-rn", *argv, str(path)], capture_output=True, text=True,
                             check=False, timeout=60)  # fmt: skip
    accepted = res.returncode == 0
    assert accepted is entry["real_tool_accepts"], (
        f"{tool} {'accepts' if accepted else 'rejects'} {name}:{fname}, the manifest says "
        f"real_tool_accepts: {entry['real_tool_accepts']} ({res.stderr.strip()[:200]})"
    )


# -- tally -----------------------------------------------------------------------------------

TALLY_START = "<!-- tally:start (CLOUDFW_UPDATE_GOLDEN=1 rewrites this block) -->"
TALLY_END = "<!-- tally:end -->"


def tally() -> str:
    by_fmt: Counter[str] = Counter()
    for e in ENTRIES:
        fmts = e["format"].values() if isinstance(e["format"], dict) else [e["format"]]
        by_fmt.update(set(fmts))
    parsed = sum(_parsed(e["file"]) for e in ENTRIES)
    accepted = sum(bool(e["real_tool_accepts"]) for e in ENTRIES)
    n_facts = sum(len(facts(e)) for e in ENTRIES)
    bundles = sum((CORPUS / e["file"]).is_dir() for e in ENTRIES)
    n_wrong = sum(len(w) for w in KNOWN_WRONG.values())
    lines = [
        TALLY_START,
        f"- entries: {len(ENTRIES)} ({bundles} bundles)",
        f"- by format: {', '.join(f'{k} {v}' for k, v in sorted(by_fmt.items()))}",
        f"- real tool accepts {accepted}, rejects {len(ENTRIES) - accepted}",
        f"- cloudfw today reads {parsed} completely and refuses or marks incomplete "
        f"{len(ENTRIES) - parsed}",
        f"- expectations: {n_facts}; today's code fails {n_wrong} of them, in "
        f"{len(KNOWN_WRONG)} files (KNOWN_WRONG in tests/hosts/test_realworld.py)",
        TALLY_END,
    ]
    return "\n".join(lines)


def test_tally() -> None:
    failing: dict[str, set[str]] = {}
    for e in ENTRIES:
        for fact, value in facts(e):
            try:
                check_fact(e["file"], fact, value)
            except AssertionError:
                failing.setdefault(e["file"], set()).add(fact)
    known = {f: set(w) for f, w in KNOWN_WRONG.items()}
    new = {f: sorted(v - known.get(f, set())) for f, v in failing.items()}
    fixed = {f: sorted(v - failing.get(f, set())) for f, v in known.items()}
    assert failing == known, (
        f"failing but not in KNOWN_WRONG: { {f: v for f, v in new.items() if v} }; "
        f"in KNOWN_WRONG but passing: { {f: v for f, v in fixed.items() if v} }"
    )
    block = tally()
    print("\n" + block)
    text = README.read_text(encoding="utf-8")
    start, end = text.index(TALLY_START), text.index(TALLY_END) + len(TALLY_END)
    if UPDATE:
        README.write_text(text[:start] + block + text[end:], encoding="utf-8")
        text = README.read_text(encoding="utf-8")
    assert block in text, "README tally is stale; run with CLOUDFW_UPDATE_GOLDEN=1"
