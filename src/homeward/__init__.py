"""homeward: move a flake-based NixOS configuration to home-manager, and keep it healthy."""

__version__ = "0.1.0"

REPOSITORY = "https://github.com/homeward/homeward"
"""Where the project is published (docs links in SARIF `helpUri`); one place to change it."""
