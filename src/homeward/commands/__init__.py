"""One module per command: `Options` (frozen) and `run(opts) -> int`."""
