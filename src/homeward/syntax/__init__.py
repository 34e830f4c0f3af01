"""The Nix syntax layer: parse, query by attribute path, edit by byte span, emit new code."""
