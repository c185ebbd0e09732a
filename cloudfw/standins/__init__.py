"""Local stand-ins for cloud APIs (stdlib HTTP servers on 127.0.0.1), used by tests and `cloudfw demo`."""
