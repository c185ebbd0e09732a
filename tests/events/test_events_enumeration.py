"""`cloudfw events --kind enumeration|all`: the reads of firewall configuration in the change
line format, from the shapes real logs carry (tests/events/enumeration/README.md), and the
`firewall-enumeration` detection through the real command lines (`events --findings`,
`audit --events`), with the scan history for first-seen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from events_helpers import audit_findings, check_golden, run_cli

CORPUS = Path(__file__).resolve().parent / "enumeration"
REALWORLD = Path(__file__).resolve().parent / "realworld"
#: input -> (records, enumeration records, change events)
TALLY = {
    "cloudtrail-recon.json": (47, 44, 1),
    "audit-data-access.jsonl": (15, 15, 0),
    "activity-reads.json": (10, 9, 0),
}


@pytest.mark.parametrize("name", sorted(TALLY))
def test_enumeration_records_through_the_cli(name: str) -> None:
    code, out, err = run_cli("events", str(CORPUS / name), "--kind", "enumeration", "--no-store")
    records, reads, _ = TALLY[name]
    assert code == 0, err
    assert f"{records} record(s); emitted 0 change event(s) and {reads} enumeration" in err
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == reads and {d["action"] for d in docs} == {"enumerate"}
    assert all(list(d)[-1] == "user_agent" and d["ports"] == [] for d in docs)
    check_golden(name.split(".", 1)[0] + ".expected.jsonl", out, CORPUS)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in REALWORLD.iterdir() if p.name.endswith(".json"))
)
def test_kind_all_is_the_changes_output_plus_reads(name: str) -> None:
    """Changes mode is today's output byte for byte; `all` interleaves the reads with it."""
    _, changes, _ = run_cli("events", str(REALWORLD / name), "--no-store")
    code, both, err = run_cli("events", str(REALWORLD / name), "--no-store", "--kind", "all")
    assert code == 0, err
    assert changes == (REALWORLD / (name[:-5] + ".expected.jsonl")).read_text()
    kept = [ln for ln in both.splitlines(keepends=True) if '"action":"enumerate"' not in ln]
    assert "".join(kept) == changes


def test_realworld_look_alikes_are_reads() -> None:
    inputs = sorted(str(p) for p in REALWORLD.iterdir() if p.name.endswith(".json"))
    code, out, _ = run_cli("events", *inputs, "--no-store", "--kind", "enumeration")
    names = sorted({json.loads(line)["event_name"] for line in out.splitlines()})
    assert code == 0
    assert "DescribeSecurityGroups" in names and "v1.compute.firewalls.list" in names
    assert "microsoft.network/networksecuritygroups/read" in names
    assert "DescribeInstances" not in names  # not a firewall read


def test_csv_has_a_user_agent_column_only_when_reads_are_asked_for() -> None:
    f = str(CORPUS / "cloudtrail-recon.json")
    _, plain, _ = run_cli("events", f, "--no-store", "--format", "csv")
    _, both, _ = run_cli("events", f, "--no-store", "--format", "csv", "--kind", "all")
    assert not plain.splitlines()[0].endswith("user_agent")
    assert both.splitlines()[0].endswith(",user_agent") and "distrib#kali" in both
    _, ocsf, _ = run_cli("events", f, "--no-store", "--format", "ocsf", "--kind", "enumeration")
    doc = json.loads(ocsf.splitlines()[0])
    assert doc["activity_name"] == "Read" and "APN_1826889" in doc["http_request"]["user_agent"]


def findings(tmp_path: Path, *args: str) -> tuple[list[dict[str, object]], str]:
    out = tmp_path / "f.json"
    code, _, err = run_cli("events", *args, "--kind", "enumeration", "--findings", str(out),
                           "-o", str(tmp_path / "ev.jsonl"))  # fmt: skip
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert doc["schema"] == "cloudfw.enumeration/1"
    return doc["findings"], err


def signals(f: dict[str, object]) -> list[str]:
    return [s["signal"] for s in f["evidence"]["signals"]]  # type: ignore[index]


def test_findings_on_each_provider(tmp_path: Path) -> None:
    aws, _ = findings(tmp_path, str(CORPUS / "cloudtrail-recon.json"), "--no-store")
    by = {f["resource_id"]: f for f in aws}
    user = by["arn:aws:iam::111122223333:user/svc-backup"]
    assert user["severity"] == "high" and user["techniques"] == ["T1518.001"]
    assert signals(user) == ["spread", "denied", "offensive-tool"]
    assert user["evidence"]["data_component"] == "DS0018:Firewall Enumeration"
    assert "12 regions" in user["message"] and user["evidence"]["denied"] == 7
    prowler = by["arn:aws:sts::111122223333:assumed-role/ProwlerScanRole"]
    assert prowler["severity"] == "info" and prowler["evidence"]["tags"] == ["known-scanner"]
    assert "arn:aws:sts::111122223333:assumed-role/Admin" not in by  # one group: no signal
    gcp, _ = findings(tmp_path, str(CORPUS / "audit-data-access.jsonl"), "--no-store")
    assert [(f["severity"], signals(f)) for f in gcp] == [("medium", ["spread", "denied"])]
    azure, _ = findings(tmp_path, str(CORPUS / "activity-reads.json"), "--no-store")
    assert [(f["severity"], signals(f)) for f in azure] == [("medium", ["spread", "denied"])]
    assert "3 accounts" in str(azure[0]["message"])


def test_kind_all_names_the_rule_the_reads_led_to(tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    args = ["--kind", "all", "--no-store", "--findings", str(out), "-o", str(tmp_path / "e")]
    code, _, err = run_cli("events", str(CORPUS / "cloudtrail-recon.json"), *args)
    assert code == 0, err
    user = next(f for f in json.loads(out.read_text())["findings"] if f["severity"] == "high")
    assert "58m later AuthorizeSecurityGroupIngress opened sg-0e1f2a3b4c5d60071" in user["message"]
    assert user["evidence"]["followed_by"][0]["any_peer"] is True


def test_approved_scanner_is_not_reported_and_thresholds_come_from_the_baseline(
    tmp_path: Path,
) -> None:
    base = tmp_path / "b.yaml"
    base.write_text(
        "version: 1\napproved_principals: ['arn:aws:sts::*:assumed-role/ProwlerScanRole/*']\n"
        "policy:\n  enumeration: {regions: 13, denied: 8, offensive_agents: [md/command#ec2]}\n"
    )
    found, _ = findings(tmp_path, str(CORPUS / "cloudtrail-recon.json"), "--no-store",
                        "--baseline", str(base))  # fmt: skip
    assert [f["resource_id"] for f in found] == ["arn:aws:iam::111122223333:user/svc-backup"]
    assert signals(found[0]) == ["offensive-tool"] and found[0]["severity"] == "medium"
    assert found[0]["evidence"]["thresholds"]["regions"] == 13


def test_first_seen_uses_the_scan_history(tmp_path: Path) -> None:
    store = str(tmp_path / "h.db")
    # an earlier run saw the Prowler role and the GCP runner (from another address) enumerate
    early = tmp_path / "early.jsonl"
    lines = (CORPUS / "audit-data-access.jsonl").read_text().splitlines()[:1]
    early.write_text(lines[0].replace("198.51.100.131", "198.51.100.7") + "\n")
    code, _, err = run_cli("events", str(early), "--kind", "enumeration", "--store", store,
                           "-o", str(tmp_path / "x"))  # fmt: skip
    assert code == 0 and "recorded scan 1 (1 events)" in err
    gcp, _ = findings(tmp_path, str(CORPUS / "audit-data-access.jsonl"), "--store", store)
    assert signals(gcp[0]) == ["spread", "denied", "new-source-ip"]
    assert gcp[0]["evidence"]["new_source_ips"] == ["198.51.100.131"]
    assert gcp[0]["severity"] == "high"
    aws, _ = findings(tmp_path, str(CORPUS / "cloudtrail-recon.json"), "--store", store)
    user = next(f for f in aws if f["resource_id"].endswith("user/svc-backup"))
    assert "new-principal" in signals(user)
    assert user["evidence"]["history"] == "judged against 2 earlier events scan(s)"


def test_findings_need_reads() -> None:
    code, _, err = run_cli("events", str(CORPUS), "--findings", "x.json", "--no-store")
    assert code == 2 and "--kind enumeration" in err


def test_audit_events_reports_the_recon_next_to_the_opened_rule(tmp_path: Path) -> None:
    found = audit_findings(tmp_path, CORPUS / "cloudtrail-recon.json", "version: 1\napproved: []\n",
                           "aws:111122223333:eu-west-1")  # fmt: skip
    recon = [f for f in found if f["check"] == "firewall-enumeration"]
    assert {f["severity"] for f in recon} == {"high", "info"}
    opened = next(f for f in found if f["check"] == "unexpectedly-authorized")
    link = opened["evidence"]["enumeration"]
    assert link["principal"] == "arn:aws:iam::111122223333:user/svc-backup"
    assert link["signals"] == ["spread", "denied", "offensive-tool"]
    disabled = "version: 1\npolicy:\n  checks: {firewall-enumeration: {enabled: false}}\n"
    off = audit_findings(tmp_path, CORPUS / "cloudtrail-recon.json", disabled,
                         "aws:111122223333:eu-west-1")  # fmt: skip
    assert not [f for f in off if f["check"] == "firewall-enumeration"]
    assert all("enumeration" not in f["evidence"] for f in off)


def test_reads_are_stored_as_one_summary_per_caller_and_address(tmp_path: Path) -> None:
    """Changes are stored line by line; enumeration records as one `cloudfw.enumeration-seen/1`
    row per (provider, account, principal, source IP), which is all first-seen reads back; the
    digest still covers every emitted line and the scan counts every event."""
    import hashlib

    from cloudfw.store import Store

    store = tmp_path / "h.db"
    src = CORPUS / "cloudtrail-recon.json"
    code, out, err = run_cli("events", str(src), "--kind", "all", "--store", str(store))
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    reads = [d for d in docs if d["action"] == "enumerate"]
    changes = [d for d in docs if d["action"] != "enumerate"]
    assert len(reads) == 44 and len(changes) == 1
    with Store(store) as db:
        [scan] = db.scans()
        assert scan.events == 45 and scan.digest == hashlib.sha256(out.encode()).hexdigest()
        stored = db.events(scan.id)
        assert stored[: len(changes)] == changes
        seen = stored[len(changes) :]
        keys = {(d["provider"], d["account"], d["principal"], d["source_ip"]) for d in reads}
        assert sorted((s["provider"], s["account"], s["principal"], s["source_ip"]) for s in seen) \
            == sorted(keys)  # fmt: skip
        assert {s["schema"] for s in seen} == {"cloudfw.enumeration-seen/1"}
        assert sum(s["reads"] for s in seen) == 44
        assert sum(s["refused"] for s in seen) == sum(not d["success"] for d in reads)
        for s in seen:
            mine = [d["time"] for d in reads if (d["provider"], d["account"], d["principal"],
                    d["source_ip"]) == (s["provider"], s["account"], s["principal"],
                    s["source_ip"])]  # fmt: skip
            assert (s["first"], s["last"]) == (min(mine), max(mine))
        rows, scans = db.enumeration_seen()
        assert scans == 1
        assert set(rows) == {(d["provider"], d["principal"], d["source_ip"]) for d in reads}
