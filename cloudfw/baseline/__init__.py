"""Baseline drift: what is open that nobody approved, what was approved and changed, and what
was required and is gone. Pure: a snapshot and a baseline in, findings out (no clock, no I/O).

Drift semantics (a user contract):

* **Matching.** An entry's ``match`` selects rule sets; every key given must match the rule
  set's asset. ``provider`` is compared exactly. ``account``, ``region``, ``resource_type`` are
  case-sensitive fnmatch globs (a plain value is an exact match). ``resource`` is a glob against
  the resource id *or* its name. ``tags`` is a subset match: each given tag must be on the asset
  with exactly that value. ``hosts`` is a glob against a host's id or name (account, resource id
  or name of the asset).
* **Rule specs.** A spec is a box ``protocols x ports x peers`` in one direction with an action
  (``allow`` by default). For ICMP / ICMPv6 the ports are written ``type 8``,
  ``type 3 code 4`` (see `cloudfw.policy.portspec`).
* **unexpectedly-authorized.** Every enabled rule that opens traffic (``allow`` or
  ``allow-bypass``) is compared with the union of the approved specs of the same direction and
  action, over all approved entries matching its rule set. If that union does not cover the
  rule's whole space, the rule is reported, once. A range 80-443 is not covered by an approval
  of 443; 443 from 0.0.0.0/0 is covered by 443 from [0.0.0.0/0, ::/0]. Severity is high when
  the rule's peers are internet-wide (`AddressSet.is_internet`), medium otherwise. With
  ``drift_scope: public`` (the default) only rules whose peers have a public part (or are any
  peer) are considered: internal rules are not exposures. ``drift_scope: all`` considers every
  rule that opens traffic. Drift is judged rule by rule: a rule set's default action is not a
  rule (``allow-all`` and ``firewall-disabled`` report permissive defaults), and an allow rule
  that an earlier deny shadows still counts.
* **modified.** An approved spec may pin a rule by ``rule_id``. When a rule with that key still
  exists in a matching rule set, opens traffic and is in the drift scope, but no spec pinning it
  covers it (content widened, direction or action changed), it is reported as ``modified``
  instead of ``unexpectedly-authorized``, even when another approval would cover it. A pinned
  rule that narrowed, or disappeared, is not drift (approved is permission, not obligation).
* **revoked.** For each required entry: if no rule set matches, one finding (asset built from
  the match) says the resource is gone. Otherwise, in each matching rule set, each required spec
  must be covered by the union of that rule set's enabled rules with the same direction and
  action; if not, one finding per spec says it is missing or only partly present. A required
  entry whose ``provider`` the snapshot did not collect at all is not evaluated.
* **exceptions** (`apply_exceptions`) mute one finding: the check is a base id
  (``internet-ingress``) or a full id (``internet-ingress[ssh]``); ``resource`` is a glob against
  the resource id or name; an exception is active through its ``expires`` day included. An
  expired exception mutes nothing, and the finding's evidence says which one expired when.
* **capture** (`capture_baseline`) approves every rule that opens traffic, one entry per rule set,
  each rule pinned by ``rule_id``; loaded back, it yields no drift against the same snapshot.
"""

from cloudfw.baseline.capture import capture_baseline
from cloudfw.baseline.drift import drift_findings
from cloudfw.baseline.exceptions import apply_exceptions, exception_matches
from cloudfw.baseline.matching import entry_matches, glob_escape, in_drift_scope
from cloudfw.baseline.meta import DRIFT_CHECKS, DriftCheck

__all__ = [
    "DRIFT_CHECKS",
    "DriftCheck",
    "apply_exceptions",
    "capture_baseline",
    "drift_findings",
    "entry_matches",
    "exception_matches",
    "glob_escape",
    "in_drift_scope",
]
