"""A lean `wslgo symbolize BIN` for the benchmark: what the CLI costs without its overheads.

    python bench/lean_symbolize.py BIN < addresses > lines

Same native call and same output as `wslgo symbolize BIN` (no options), minus the CLI's
costs: no argparse/pathlib/typing imports, `int(x, 16)` instead of the validating parser,
and pcs symbolized and written in chunks so that neither the whole input nor the whole
output is held as Python objects. bench/symbolize.py runs it as the "lean CLI" rows to
show how much of wslgo's time and peak RSS is the Python front end. Not a product file.
"""

import sys

from wslgo import _native

CHUNK = 8192


def main() -> None:
    syms = _native.Symbols(sys.argv[1])
    out = sys.stdout
    pcs = []
    for line in sys.stdin:
        if line.strip():
            pcs.append(int(line, 16))
            if len(pcs) == CHUNK:
                out.write("\n".join(syms.symbolize(pcs)) + "\n")
                pcs = []
    if pcs:
        out.write("\n".join(syms.symbolize(pcs)) + "\n")


main()
