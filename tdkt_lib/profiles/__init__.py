"""Rule profiles, one TOML file per source document (see docs/profiles.md)."""
