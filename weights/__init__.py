"""Bundled model weights: one folder per model (model.safetensors, config.json, README.md, manifest.json)."""
