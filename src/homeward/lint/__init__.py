"""`homeward check`: the rules (pure: the model in, diagnostics out) and the driver that runs them;
their output formats are `render/check.py`."""
