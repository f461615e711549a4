"""The value fuzzing harness (tests/wslgo_testing/valuefuzz.py) on every selected release: a
few hundred seeded cases by default, ``$WSLGO_VALUE_FUZZ_CASES`` of them when the full matrix
sets it (>= 4,000 per release). No hang over 10 s, no gdb death, no raw control byte."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import build
from wslgo_testing import valuefuzz


def test_value_fuzz(go_version: str, wslgo_entry: Path) -> None:
    cases = int(os.environ.get("WSLGO_VALUE_FUZZ_CASES", "150"))
    seed = int(os.environ.get("WSLGO_VALUE_FUZZ_SEED", "27"))
    figs = valuefuzz.run(build("values", go_version), wslgo_entry, cases, seed)
    print(f"go{go_version}: {figs.line()}")
    assert figs.cases >= cases * 9 // 10, figs.line()
    assert not figs.failures, figs.line() + "\n" + "\n".join(figs.failures[:20])
