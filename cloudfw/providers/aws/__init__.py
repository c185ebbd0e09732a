"""AWS collector: security groups, network ACLs, flow logs, network interfaces and Network
Firewalls (with the route tables that place them), read-only.

boto3 is imported lazily (inside `collect`), so importing this package costs nothing.
Endpoint overrides come from botocore's standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SVC>``
variables; ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE`` tune retries (default adaptive, 8 attempts).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from cloudfw.model import Snapshot
from cloudfw.providers.aws.tuning import AwsTuning
from cloudfw.providers.base import CollectOptions, Progress

if TYPE_CHECKING:
    import boto3.session

__all__ = ["AwsTuning", "collect"]


def collect(
    options: CollectOptions,
    progress: Progress,
    session_factory: Callable[[], boto3.session.Session] | None = None,
    *,
    tuning: AwsTuning | None = None,
) -> Snapshot:
    """Collect every enabled region (or ``options.regions``) of the caller's account, or of the
    accounts ``options.aws`` names (an organization, one role), on ``options.executor``.

    A region that fails is recorded in the snapshot's coverage with its error; only a run that
    cannot start at all (no credentials, malformed endpoint) raises `CollectError`.
    """
    tuning = tuning or AwsTuning.from_env(os.environ)
    remote = options.executor is not None and options.executor.remote
    if (options.aws is not None and options.aws.active) or remote:
        from cloudfw.providers.aws.fanout import run as run_units

        return run_units(options, progress, session_factory, tuning)
    from cloudfw.providers.aws.collector import run

    return run(options, progress, session_factory, tuning)
