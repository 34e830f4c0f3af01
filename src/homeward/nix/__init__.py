"""Talking to the real nix: argv in, typed results out."""
