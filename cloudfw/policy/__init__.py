"""User configuration: baseline/policy YAML and catalogs, validated into typed config."""
