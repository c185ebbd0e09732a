"""Host telemetry: who disabled, weakened or enumerated a firewall (AN0408, DS0018), and the
socket-filter trigger pattern (AN0464). Readers -> events -> detections; no I/O at import."""
