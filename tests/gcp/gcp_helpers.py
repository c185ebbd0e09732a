"""Helpers shared by the GCP tests (fixture paths, normalizer inputs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudfw.normalize.gcp import ProjectInput

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gcp"


def load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text())


def project_input(project: str, ancestry: tuple[str, ...]) -> ProjectInput:
    """The fixture files of one project, as the collector would hand them to the normalizer."""
    d = f"projects/{project}"
    rp = FIXTURES / d / "network-firewall-policies.json"
    return ProjectInput(
        project=project,
        networks=load(f"{d}/networks.json"),
        firewalls=load(f"{d}/firewall-rules.json"),
        subnetworks=load(f"{d}/subnets.json"),
        network_policies=load(f"{d}/network-firewall-policies.json") if rp.exists() else [],
        regional_policies=load(f"{d}/regional-network-firewall-policies.json"),
        ancestry=ancestry,
        hierarchical_policies=load("hierarchical/firewall-policies.json"),
    )


ORG = "organizations/123456789012"
FOLDER = "folders/300000000001"
DEMO_ANCESTRY = (ORG, FOLDER)
