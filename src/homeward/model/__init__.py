"""The repo model: what a flake configuration is made of, read statically from its files."""
