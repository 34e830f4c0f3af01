"""Applying plans: byte-span splicing (pure) and the transactional writer (the side effect)."""
