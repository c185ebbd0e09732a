"""Host firewall snapshots: parsers per format, snapshot bundles and the host audit."""
