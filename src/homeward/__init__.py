"""homeward: move a flake-based NixOS configuration to home-manager, and keep it healthy."""

__version__ = "0.1.0"
