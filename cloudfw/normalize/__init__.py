"""Normalizers: vendor JSON/text -> model. Pure functions, no SDK imports, no I/O."""
