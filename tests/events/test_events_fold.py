"""Folding Azure (Start/Accept/Success/Failure by correlationId) and GCP (operation first/last)
gives the same events whatever order the records arrive in."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudfw.events import RecordUnit, read_events
from cloudfw.events.serialize import event_to_dict

NSG = (
    "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n"
    "/securityRules/"
)


def azure_op(i: int, port: int, shape: str, ok: bool) -> list[dict[str, Any]]:
    corr = f"corr-{i}"
    body = {
        "properties": {
            "protocol": "Tcp",
            "destinationPortRange": str(port),
            "sourceAddressPrefix": "*",
            "access": "Allow",
            "direction": "Inbound",
        }
    }

    def rec(sec: int, status: str, props: dict[str, Any]) -> dict[str, Any]:
        return {"time": f"2026-11-04T09:{i % 60:02d}:{sec:02d}Z", "correlationId": corr,
                "operationName": "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE",
                "resourceId": NSG + f"r{i}", "resultType": status, "callerIpAddress": "192.0.2.1",
                "identity": {"claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":
                                        f"user{i}@example.com"}}, "properties": props}  # fmt: skip

    start = rec(0, "Start", {"requestbody": json.dumps(body)})
    accept = rec(1, "Accept", {"statusCode": "Accepted"})
    end = rec(2, "Success", {"statusCode": "Created"}) if ok else rec(
        2, "Failure", {"statusCode": "Conflict"})  # fmt: skip
    return {
        "full": [start, accept, end],
        "no-accept": [start, end],
        "start-only": [start],
        "end-only": [end],
    }[shape]


def gcp_op(i: int, port: int, shape: str, ok: bool) -> list[dict[str, Any]]:
    def entry(sec: int, op: dict[str, Any] | None, req: dict[str, Any]) -> dict[str, Any]:
        e: dict[str, Any] = {
            "timestamp": f"2026-11-06T08:{i % 60:02d}:{sec:02d}Z", "insertId": f"ins-{i}-{sec}",
            "resource": {"labels": {"project_id": "p"}},
            "protoPayload": {"methodName": "v1.compute.firewalls.insert",
                             "resourceName": f"projects/p/global/firewalls/f{i}", "request": req,
                             "authenticationInfo": {"principalEmail": f"u{i}@example.com"},
                             "requestMetadata": {"callerIp": "gce-internal-ip"}},
        }  # fmt: skip
        if op is not None:
            e["operation"] = op
        if not ok and sec == 1:
            e["protoPayload"]["status"] = {"code": 3, "message": "INVALID_ARGUMENT"}
        return e

    full = {"name": f"f{i}", "alloweds": [{"IPProtocol": "tcp", "ports": [str(port)]}],
            "sourceRanges": ["0.0.0.0/0"]}  # fmt: skip
    op_id = f"operation-{i}"
    first = entry(0, {"id": op_id, "first": True}, full)
    last = entry(1, {"id": op_id, "last": True}, {"@type": "x"})
    return {
        "full": [first, last],
        "no-accept": [first, last],
        "start-only": [first],
        "end-only": [last],
    }[shape]


ops = st.lists(
    st.tuples(
        st.integers(1, 65535),
        st.sampled_from(["full", "no-accept", "start-only", "end-only"]),
        st.booleans(),
        st.sampled_from(["azure", "gcp"]),
    ),
    max_size=8,
)


def _events(records: list[dict[str, Any]]) -> list[str]:
    events, stats = read_events([RecordUnit("mem", records)])
    assert stats.complete, stats.problems
    return sorted(json.dumps(event_to_dict(e), sort_keys=True) for e in events)


@settings(max_examples=60, deadline=None)
@given(ops=ops, data=st.data())
def test_folding_is_independent_of_record_order(
    ops: list[tuple[int, str, bool, str]], data: st.DataObject
) -> None:
    records: list[dict[str, Any]] = []
    for i, (port, shape, ok, cloud) in enumerate(ops):
        records += (azure_op if cloud == "azure" else gcp_op)(i, port, shape, ok)
    shuffled = data.draw(st.permutations(records))
    expected = _events(records)
    assert _events(list(shuffled)) == expected
    assert len(expected) == len(ops)  # one event per operation, never per record


def test_fold_takes_body_from_start_and_outcome_from_terminal() -> None:
    records = azure_op(7, 3389, "full", ok=False)
    events, _ = read_events([RecordUnit("mem", list(reversed(records)))])
    (ev,) = events
    assert ev.ports[0].from_port == 3389 and ev.any_peer and ev.direction == "ingress"
    assert not ev.success and ev.error_code == "Conflict"
    assert ev.principal == "user7@example.com"
