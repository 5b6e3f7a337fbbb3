"""Files: circuit files (TOML) for neurons and networks, presets, and safe atomic writes."""
