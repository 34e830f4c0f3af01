"""Plans: every write homeward makes is data first."""
