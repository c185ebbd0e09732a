"""The service catalog: packaged default, repo path, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudfw.model import Severity, parse_ports
from cloudfw.policy.catalog import load_catalog, parse_catalog
from cloudfw.policy.config import PolicyError

REPO = Path(__file__).resolve().parents[2]

REQUIRED = {
    "ssh": "tcp/22",
    "rdp": "tcp/3389",
    "telnet": "tcp/23",
    "ftp": "tcp/20-21",
    "smb": "tcp/445",
    "mysql": "tcp/3306",
    "postgres": "tcp/5432",
    "mssql": "tcp/1433-1434",
    "oracle": "tcp/1521",
    "mongodb": "tcp/27017-27018",
    "redis": "tcp/6379",
    "memcached": "tcp/11211",
    "elasticsearch": "tcp/9200",
    "kibana": "tcp/5601",
    "kafka": "tcp/9092",
    "cassandra": "tcp/9042",
    "ldap": "tcp/389",
    "kerberos": "tcp/88",
    "vnc": "tcp/5900",
    "winrm": "tcp/5985-5986",
}


def test_packaged_catalog_covers_the_required_services() -> None:
    cat = load_catalog()
    for name, spec in REQUIRED.items():
        svc = cat.resolve(name)
        assert svc is not None, name
        _, ports = spec.split("/")
        tcp_ports = [e.ports for e in svc.endpoints if 6 in e.protocols]
        assert any(p.covers(parse_ports(ports)) for p in tcp_ports), name
    assert cat.resolve("cifs") is cat.resolve("smb")
    assert cat.services["memcached"].severity is Severity.CRITICAL
    assert cat.services["ssh"].severity is None  # the check's default (high) applies
    assert "CIS GCP 3.7" in cat.services["rdp"].compliance["gcp"]


def test_repo_path_is_a_relative_symlink_to_the_packaged_file() -> None:
    link = REPO / "policies" / "catalog" / "services.yaml"
    assert link.is_symlink()
    assert not Path(link.readlink()).is_absolute()
    assert link.resolve() == (REPO / "cloudfw" / "data" / "services.yaml").resolve()
    assert load_catalog(link).services.keys() == load_catalog().services.keys()


GOOD_HEAD = "version: 1\nservices:\n"


@pytest.mark.parametrize(
    ("body", "line", "field", "text"),
    [
        (
            GOOD_HEAD + "  ssh:\n    ports: [tcp/22]\n    colour: red\n",
            5,
            "services.ssh.colour",
            "unknown field",
        ),
        (GOOD_HEAD + "  ssh:\n    title: x\n", 3, "services.ssh.ports", "missing"),
        (
            GOOD_HEAD + "  ssh:\n    ports:\n      - tcp/22\n      - tcp/99999\n",
            6,
            "services.ssh.ports[1]",
            "65535",
        ),
        (GOOD_HEAD + "  ssh:\n    ports: [22]\n", 4, "services.ssh.ports[0]", "non-empty string"),
        (
            GOOD_HEAD + "  ssh:\n    ports: [tcp22]\n",
            4,
            "services.ssh.ports[0]",
            "<protocol>/<ports>",
        ),
        (
            GOOD_HEAD + "  ssh:\n    ports: [smtp/25]\n",
            4,
            "services.ssh.ports[0]",
            "unknown protocol",
        ),
        (
            GOOD_HEAD + "  ssh:\n    ports: [tcp/22]\n    severity: urgent\n",
            5,
            "services.ssh.severity",
            "unknown severity",
        ),
        (
            GOOD_HEAD
            + "  smb:\n    ports: [tcp/445]\n    aliases: [cifs]\n"
            + "  cifs:\n    ports: [tcp/445]\n",
            6,
            "services.cifs",
            "already used",
        ),
        ("version: 2\nservices: {ssh: {ports: [tcp/22]}}\n", 1, "version", "version: 1"),
        ("version: 1\nservices: []\n", 2, "services", "non-empty mapping"),
        ("version: 1\nservices:\n  ssh: {ports: [tcp/22]\n", 4, "", "invalid YAML"),
        ("version: 1\nversion: 1\n", 2, "", "duplicate key"),
    ],
)
def test_catalog_errors_name_file_line_and_field(
    tmp_path: Path, body: str, line: int, field: str, text: str
) -> None:
    path = tmp_path / "services.yaml"
    path.write_text(body)
    with pytest.raises(PolicyError) as err:
        load_catalog(path)
    assert err.value.location == f"{path}:{line}"
    assert err.value.field == field
    assert text in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}")


def test_missing_catalog_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as err:
        load_catalog(tmp_path / "nope.yaml")
    assert err.value.location == str(tmp_path / "nope.yaml")


def test_parse_catalog_endpoints() -> None:
    cat = parse_catalog(GOOD_HEAD + "  ldap:\n    ports: [tcp+udp/389, tcp/636]\n", "x.yaml")
    (both, _tls) = cat.services["ldap"].endpoints
    assert 6 in both.protocols and 17 in both.protocols and 389 in both.ports
    assert cat.services["ldap"].label() == "tcp,udp/389, tcp/636"
