"""`homeward check`: the rules (pure, `Repo` in, diagnostics out) and their output formats."""
