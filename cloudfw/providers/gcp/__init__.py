"""GCP collector: VPC firewall rules, network and hierarchical firewall policies, subnet flow logs.

The only place that imports Google SDKs, and only inside functions: ``google.cloud.compute_v1``
costs over 2 s at import, which ``cloudfw --help`` must not pay.
"""

from cloudfw.providers.gcp.collect import collect

__all__ = ["collect"]
