"""cloudfw: firewall posture auditor for AWS, Azure, GCP and hosts."""

__version__ = "0.1.0"
