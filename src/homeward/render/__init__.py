"""Rendering results: text for people (rich on a TTY), JSON for machines. Pure, but for `console`."""
