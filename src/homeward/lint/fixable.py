"""Which rules `check --fix` fixes, and in which class (as ruff has them). The fixes themselves
are planned in `homeward/fix.py`; this table is what `rules`, `rule` and SARIF describe."""

from __future__ import annotations

from enum import StrEnum


class Safety(StrEnum):
    SAFE = "safe"  # `--fix`: cannot alter an existing output
    UNSAFE = "unsafe"  # `--fix --unsafe-fixes`: changes what an existing output builds


FIXES: dict[str, Safety] = {"HW005": Safety.SAFE, "HW006": Safety.UNSAFE, "HW007": Safety.UNSAFE}
