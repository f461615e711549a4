"""Value fuzzing under a live gdb: the values fixture (tests/go/values) stopped at its
breakpoint, and for each case one mutation of the memory of a map, slice, string, interface
or chan (its header, or the memory a header word points to), one print, the bytes put back.

A case passes when gdb answers within :data:`CASE_TIMEOUT` seconds, is still alive, and its
output holds no raw control byte, C1 control or bidi override. Cases are seeded: case ``i`` of
seed ``s`` is the same mutation on every run (``python tests/wslgo_testing/valuefuzz.py
VERSION CASES [SEED]`` replays a run and prints its figures).
"""

from __future__ import annotations

import os
import random
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wslgo_testing.gdb import QUIET  # noqa: E402

#: Seconds a case may take before it counts as a hang.
CASE_TIMEOUT = 10.0
#: Values mutated: (name, kind).
TARGETS = [
    ("str", "string"), ("sliceStr", "slice"), ("sliceInt", "slice"), ("slicePts", "slice"),
    ("ifaces", "slice"), ("eface", "iface"), ("efaceSt", "iface"), ("efacePtr", "iface"),
    ("errBoom", "iface"), ("errWrap", "iface"), ("embed", "iface"), ("mapSmall", "map"),
    ("map100", "map"), ("mapNested", "map"), ("mapPts", "map"), ("mapBytes", "map"),
    ("mapGrow", "map"), ("chBuf", "chan"), ("chClosed", "chan"), ("efaceDyn", "iface"),
]  # fmt: skip
#: 8-byte words a mutation may write (lengths, counts, pointers of every kind of wrong).
WORDS = [0, 1, 7, 0x10, 0xFFF, 1 << 31, 1 << 40, (1 << 63) - 1, (1 << 64) - 1, 1 << 62, 255]
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SETTINGS = [
    ["set print elements 200"],
    ["set print elements 5"],
    ["set print elements unlimited"],
    ["set print elements 200", "set print max-depth 2"],
]


@dataclass
class Figures:
    """What a run found."""

    cases: int = 0
    hangs: int = 0
    deaths: int = 0
    raw: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.cases} cases in {self.seconds:.0f}s: {self.hangs} hangs over "
            f"{CASE_TIMEOUT:.0f}s, {self.deaths} gdb deaths, {self.raw} with raw bytes"
        )


class Session:
    """gdb reading commands from a pipe, stopped in the fixture at its breakpoint."""

    def __init__(self, binary: Path, entry: Path) -> None:
        argv = ["gdb", "-nx", "-q", *QUIET, "-iex", "set width 0", "-iex", "set height 0",
                "-ex", f"source {entry}", "-ex", f"file {binary}", "-ex", "run"]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )  # fmt: skip
        self.buf = b""
        self.n = 0
        out = self.ask(["info inferiors"], 120)
        if out is None:
            raise RuntimeError("gdb did not reach the breakpoint")
        m = re.search(rb"process (\d+)", out)
        if not m:
            raise RuntimeError(f"no inferior: {out[-500:]!r}")
        self.pid = int(m.group(1))
        self.maps = self._maps()

    def ask(self, commands: list[str], timeout: float = CASE_TIMEOUT) -> bytes | None:
        """Run ``commands``; their output, or None when gdb took longer than ``timeout``."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.n += 1
        marker = f"@@END-{self.n}@@".encode()
        text = "".join(c + "\n" for c in commands) + f"echo {marker.decode()}\\n\n"
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return None
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                self.buf += chunk
        out, _, self.buf = self.buf.partition(marker)
        self.buf = self.buf.lstrip(b"\n")
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()

    def _maps(self) -> list[tuple[int, int]]:
        out = []
        for line in Path(f"/proc/{self.pid}/maps").read_text().splitlines():
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            out.append((lo, hi))
        return out

    def mapped(self, addr: int, size: int) -> bool:
        return any(lo <= addr and addr + size <= hi for lo, hi in self.maps)

    def read(self, addr: int, size: int) -> bytes:
        with open(f"/proc/{self.pid}/mem", "rb") as f:
            f.seek(addr)
            return f.read(size)

    def write(self, addr: int, data: bytes) -> None:
        with open(f"/proc/{self.pid}/mem", "r+b", buffering=0) as f:
            f.seek(addr)
            f.write(data)

    def regions(self, name: str) -> list[tuple[int, int]]:
        """The variable's own bytes and up to 256 bytes at each pointer in them (the string's
        bytes, the slice's array, the map header, the hchan, the type descriptor, the itab,
        the value), and one level further from the first of those."""
        expr = (
            f"python v = gdb.parse_and_eval(\"'main.{name}'\"); "
            "print('REGION', int(v.address), v.type.sizeof)"
        )
        out = self.ask([expr], 60)
        m = re.search(rb"REGION (\d+) (\d+)", out or b"")
        if not m:
            return []
        base, size = int(m.group(1)), int(m.group(2))
        regions = [(base, size)]
        for r in range(2):
            start, n = regions[r] if r < len(regions) else (0, 0)
            if not n:
                break
            raw = self.read(start, n)
            for off in range(0, len(raw) - 7, 8):
                p = int.from_bytes(raw[off : off + 8], "little")
                if p > 0x1000 and self.mapped(p, 64) and (p, 256) not in regions:
                    size = 256 if self.mapped(p, 256) else 64
                    regions.append((p, size))
        return regions


def mutation(rng: random.Random, regions: list[tuple[int, int]]) -> tuple[int, bytes]:
    """(address, bytes) of one mutation inside ``regions``."""
    addr, size = rng.choice(regions[:1] * 2 + regions)  # headers twice as often
    kind = rng.random()
    if kind < 0.5:
        off = rng.randrange(0, max(size - 7, 1)) & ~7
        word = rng.choice(WORDS + [r[0] for r in regions])
        return addr + off, word.to_bytes(8, "little")
    if kind < 0.8:
        off = rng.randrange(0, size)
        n = min(rng.randint(1, 16), size - off)
        return addr + off, bytes(rng.randrange(256) for _ in range(n))
    off = rng.randrange(0, size)
    return addr + off, bytes([1 << rng.randrange(8)])


def run(binary: Path, entry: Path, cases: int, seed: int = 27) -> Figures:
    """Run ``cases`` cases; gdb is restarted after a hang or a death."""
    figs = Figures()
    t0 = time.monotonic()
    sess = Session(binary, entry)
    regions = {name: sess.regions(name) for name, _ in TARGETS}
    for i in range(cases):
        rng = random.Random(seed * 1_000_003 + i)
        name, kind = rng.choice(TARGETS)
        if not regions.get(name):
            continue
        addr, data = mutation(rng, regions[name])
        cmds = [*rng.choice(SETTINGS), f"print 'main.{name}'"]
        if kind in ("slice", "map", "chan", "string"):
            cmds.append(f"print $len('main.{name}')")
        if kind == "iface":
            cmds.append(f"print $dtype('main.{name}')")
        cmds.append("set print max-depth 20")
        try:
            orig = sess.read(addr, len(data))
            sess.write(addr, data)
        except OSError:
            continue
        out = sess.ask(cmds)
        if out is None and sess.alive():
            # once more in a fresh gdb, so a shared machine's stall is not counted as a hang
            sess.close()
            sess = Session(binary, entry)
            regions = {n: sess.regions(n) for n, _ in TARGETS}
            try:
                sess.write(addr, data)
                out = sess.ask(cmds)
            except OSError:
                continue
        figs.cases += 1
        what = f"case {i} (seed {seed}): {name} {addr:#x} <- {data.hex()}"
        if out is None or not sess.alive():
            dead = not sess.alive()
            figs.deaths += dead
            figs.hangs += not dead
            figs.failures.append(f"{what}: {'gdb died' if dead else 'hang'}")
            sess.close()
            sess = Session(binary, entry)
            regions = {n: sess.regions(n) for n, _ in TARGETS}
            continue
        text = out.decode("utf-8", "replace")
        m = RAW.search(text)
        if m:
            figs.raw += 1
            figs.failures.append(f"{what}: raw {m.group()!r} in {text[:300]!r}")
        try:
            sess.write(addr, orig)
        except OSError:
            pass
    sess.close()
    figs.seconds = time.monotonic() - t0
    return figs


if __name__ == "__main__":
    import gofixtures
    import wslgo

    version, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 27
    figs = run(gofixtures.build("values", version), wslgo.GDB_ENTRY, n, seed)
    print(f"go{version}: {figs.line()}")
    for f in figs.failures[:50]:
        print("  " + f)
    sys.exit(1 if figs.failures else 0)
