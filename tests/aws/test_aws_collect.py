"""End to end: the real boto3 client collects the seeded scenarios from moto's server over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_support import REGIONS, Seeded

from cloudfw.model import Action, AddressSet, Direction, Logging, RuleSet, Snapshot
from cloudfw.providers.aws import AwsTuning, collect
from cloudfw.providers.base import CollectOptions

ACCOUNT = "123456789012"
OPEN = AddressSet.parse("81.2.69.1/32")


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, total: int, label: str) -> None:
        self.events.append(("start", total))

    def advance(self, unit: str, ok: bool) -> None:
        self.events.append(("advance", (unit, ok)))

    def done(self) -> None:
        self.events.append(("done", None))


@pytest.fixture(scope="module")
def collected(seeded: Seeded) -> Iterator[tuple[Snapshot, RecordingProgress]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", seeded.endpoint)
        progress = RecordingProgress()
        yield collect(CollectOptions(regions=REGIONS, workers=2), progress), progress


@pytest.fixture(scope="module")
def by_id(collected: tuple[Snapshot, RecordingProgress]) -> dict[str, RuleSet]:
    return {rs.asset.resource_id: rs for rs in collected[0].rulesets}


def test_coverage_and_progress(collected: tuple[Snapshot, RecordingProgress]) -> None:
    snap, progress = collected
    assert snap.complete
    assert [c.scope for c in snap.coverage] == [f"aws:{ACCOUNT}:{r}" for r in REGIONS]
    for c in snap.coverage:
        region = c.scope.rsplit(":", 1)[1]
        assert c.resources == sum(rs.asset.region == region for rs in snap.rulesets) > 0
    assert progress.events[0] == ("start", 2) and progress.events[-1] == ("done", None)
    assert sorted(str(e[1]) for e in progress.events[1:-1]) == sorted(
        str((c.scope, True)) for c in snap.coverage
    )


def test_bastion_group(seeded: Seeded, by_id: dict[str, RuleSet]) -> None:
    ids = seeded.ids
    sg = by_id[ids["prod-bastion-sg"]]
    a = sg.asset
    assert (a.provider, a.account, a.region, a.resource_type) == (
        "aws",
        ACCOUNT,
        "us-east-1",
        "security-group",
    )
    assert (a.name, a.parent) == ("prod-bastion-sg", ids["prod-vpc"])
    assert ("Role", "bastion") in a.tags and ("Name", "prod-bastion-sg") in a.tags
    ingress = sg.rules_for(Direction.INGRESS)
    assert len(ingress) == 1 and ingress[0].key.startswith("sgr-")
    assert ingress[0].description == "ssh from anywhere"
    assert sg.allowed(Direction.INGRESS).allows(6, 22, OPEN)
    assert not sg.allowed(Direction.INGRESS).allows(6, 23, OPEN)
    assert sg.allowed(Direction.EGRESS).allows(17, 53, OPEN)  # moto's default egress
    (eni,) = sg.attachments
    assert eni.resource_id == ids["prod-bastion-eni"] and eni.subnet == ids["prod-public-a"]
    assert eni.is_public and eni.private_ips
    assert sg.logging is Logging.ON and sg.log_scope is not None
    assert (sg.log_scope.resource_id, sg.log_scope.name) == (ids["prod-vpc"], "prod-vpc")


def test_references_icmp_and_replaced_egress(seeded: Seeded, by_id: dict[str, RuleSet]) -> None:
    ids = seeded.ids
    app = by_id[ids["prod-app-sg"]]
    peers = {str(r.peers): r for r in app.rules}
    assert f"sg:{ids['prod-web-sg']}" in peers
    icmp = peers["10.10.0.0/16"]
    assert icmp.protocol_label == "icmp" and icmp.ports_label == "type 8"
    (egress,) = app.rules_for(Direction.EGRESS)
    assert egress.peers == AddressSet.symbol("sg", ids["prod-db-sg"])
    assert by_id[ids["prod-db-sg"]].rules_for(Direction.EGRESS) == ()
    assert app.attachments and not app.attachments[0].is_public
    web = by_id[ids["prod-web-sg"]]
    assert web.allowed(Direction.INGRESS).allows(6, 443, AddressSet.parse("2a05:d018::1/128"))


def test_nacl_deny_before_allow_all(seeded: Seeded, by_id: dict[str, RuleSet]) -> None:
    acl = by_id[seeded.ids["prod-edge-acl"]]
    aid = acl.asset.resource_id
    assert acl.asset.resource_type == "network-acl" and not acl.is_default
    assert [r.key for r in acl.rules] == [
        f"{aid}:ingress:90",
        f"{aid}:ingress:100",
        f"{aid}:ingress:*",
        f"{aid}:egress:100",
        f"{aid}:egress:*",
    ]
    assert acl.rules[2].action is Action.DENY and acl.rules[2].order == 32767
    assert acl.rules[2].builtin and not acl.rules[0].builtin
    allowed = acl.allowed(Direction.INGRESS)
    assert not allowed.allows(6, 22, OPEN) and allowed.allows(6, 443, OPEN)
    assert [a.resource_id for a in acl.attachments] == [seeded.ids["prod-public-a"]]
    default_acl = by_id[seeded.ids["prod-vpc.default-acl"]]
    assert not default_acl.is_default, "a default NACL allowing all is AWS's design"
    assert seeded.ids["prod-public-a"] not in {a.resource_id for a in default_acl.attachments}


def test_unlogged_vpc_and_default_group(seeded: Seeded, by_id: dict[str, RuleSet]) -> None:
    ids = seeded.ids
    for name in ("dev-all-open-sg", "dev-rdp-v6-sg", "dev-vpc.default-sg", "dev-vpc.default-acl"):
        rs = by_id[ids[name]]
        assert rs.logging is Logging.OFF, name
        assert rs.log_scope is not None and rs.log_scope.resource_id == ids["dev-vpc"]
    default = by_id[ids["dev-vpc.default-sg"]]
    assert default.is_default and default.asset.name == "default"
    (self_ref,) = default.rules_for(Direction.INGRESS)
    assert self_ref.peers == AddressSet.symbol("sg", ids["dev-vpc.default-sg"])
    assert by_id[ids["prod-vpc.default-sg"]].rules == ()
    rdp = by_id[ids["dev-rdp-v6-sg"]].allowed(Direction.INGRESS)
    assert rdp.allows(6, 3389, AddressSet.parse("2a05:d018::1/128"))
    assert not rdp.allows(6, 3389, OPEN)
    assert ids["dev-box-eni"] not in by_id  # interfaces are attachments, not rule sets
    for sg in ("dev-all-open-sg", "dev-ftp-range-sg"):
        assert [a.resource_id for a in by_id[ids[sg]].attachments] == [ids["dev-box-eni"]]


def test_second_region(seeded: Seeded, by_id: dict[str, RuleSet]) -> None:
    ids = seeded.ids
    partner = by_id[ids["eu-partner-sg"]]
    assert partner.asset.region == "eu-west-1"
    (rule,) = partner.rules_for(Direction.INGRESS)
    assert rule.peers == AddressSet.parse_many(["81.2.69.0/24", "81.2.70.0/25"])  # resolved list
    assert partner.logging is Logging.ON  # every subnet of eu-vpc has a flow log
    web = by_id[ids["eu-web-sg"]].allowed(Direction.INGRESS)
    assert web.allows(58, 128 << 8, AddressSet.parse("2a05:d018::1/128"))
    acl = by_id[ids["eu-edge-acl"]].allowed(Direction.INGRESS)
    assert not acl.allows(6, 3389, AddressSet.parse("2a05:d018::1/128"))
    assert not acl.allows(6, 3389, OPEN) and acl.allows(6, 3306, OPEN)


def test_failing_region_lands_in_coverage(aws_env: Seeded) -> None:
    snap = collect(
        CollectOptions(regions=("eu-west-1", "xx-fake-1")),
        RecordingProgress(),
        tuning=AwsTuning(max_attempts=1),
    )
    assert not snap.complete
    ok, bad = snap.coverage
    assert ok.ok and ok.scope == f"aws:{ACCOUNT}:eu-west-1"
    assert bad.scope == f"aws:{ACCOUNT}:xx-fake-1" and not bad.ok
    assert "DescribeSecurityGroups" in bad.reason and "500" in bad.reason
    assert "\n" not in bad.reason and len(bad.reason) <= 300
    assert all(rs.asset.region == "eu-west-1" for rs in snap.rulesets)


def test_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    progress = RecordingProgress()
    snap = collect(CollectOptions(regions=REGIONS), progress, tuning=AwsTuning(max_attempts=1))
    assert [c.scope for c in snap.coverage] == [f"aws:unknown:{r}" for r in REGIONS]
    assert all(
        "EndpointConnectionError" in c.reason and str(port) in c.reason for c in snap.coverage
    )
    assert snap.rulesets == () and not snap.complete
    assert ("advance", ("aws:unknown:us-east-1", False)) in progress.events
    everything = collect(CollectOptions(), progress, tuning=AwsTuning(max_attempts=1))
    assert [c.scope for c in everything.coverage] == ["aws:unknown:*"]


def test_environment_variables_tune_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudfw.providers.base import CollectError

    assert AwsTuning.from_env({}) == AwsTuning()
    assert AwsTuning.from_env({"AWS_MAX_ATTEMPTS": "3", "AWS_RETRY_MODE": "standard"}) == AwsTuning(
        retry_mode="standard", max_attempts=3
    )
    for env in ({"AWS_MAX_ATTEMPTS": "x"}, {"AWS_MAX_ATTEMPTS": "0"}, {"AWS_RETRY_MODE": "yolo"}):
        with pytest.raises(CollectError):
            AwsTuning.from_env(env)


def test_no_credentials_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, aws_env: Seeded, tmp_path: object
) -> None:
    from cloudfw.providers.base import CollectError

    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/none")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CollectError, match="no AWS credentials"):
        collect(CollectOptions(regions=("us-east-1",)), RecordingProgress())


def test_plain_http_only_on_loopback(monkeypatch: pytest.MonkeyPatch, aws_env: Seeded) -> None:
    from cloudfw.providers.base import CollectError

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://10.9.9.9:8080")
    with pytest.raises(CollectError, match=r"sts endpoint http://10\.9\.9\.9:8080: plain http"):
        collect(CollectOptions(regions=("us-east-1",)), RecordingProgress())
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env.endpoint.replace("127.0.0.1", "localhost"))
    assert collect(CollectOptions(regions=("eu-west-1",)), RecordingProgress()).complete
