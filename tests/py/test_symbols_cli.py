"""`wslgo symbolize / lookup / info` against `go tool addr2line`, `go tool nm` and the
fixtures' build flags; bad input gives one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import gofixtures
import pytest
from conftest import build
from wslgo_testing.sources import line_of
from wslgo_testing.versions import newest


def wslgo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def go_tool(version: str, *args: str, stdin: str | None = None) -> str:
    go = gofixtures.go_binary(version)
    env = gofixtures.go_env(go)
    out = subprocess.run(
        [str(go), "tool", *args], input=stdin, capture_output=True, text=True, env=env, check=True
    )
    return out.stdout


def text_symbols(version: str, binary: Path) -> list[tuple[int, str]]:
    out = []
    for line in go_tool(version, "nm", str(binary)).splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] in ("T", "t"):
            out.append((int(parts[0], 16), parts[2]))
    return out


@pytest.mark.parametrize("mode", ["debug", "opt", "nodwarf", "pie"])
def test_symbolize_matches_go_addr2line_for_every_function(go_version: str, mode: str) -> None:
    binary = build("dwsyms", go_version, mode)
    pcs = [hex(a) for a, _ in text_symbols(go_version, binary)]
    stdin = "".join(p + "\n" for p in pcs)
    want = go_tool(go_version, "addr2line", str(binary), stdin=stdin).splitlines()
    t0 = time.perf_counter()
    r = wslgo("symbolize", str(binary), stdin=stdin)
    elapsed = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr
    got = r.stdout.splitlines()
    assert len(got) == len(want) == 2 * len(pcs)
    # go tool addr2line prints ? / ?:0 for unknown pcs, wslgo prints addr2line's ?? / ??:0.
    # Marker pseudo-functions (go:textfipsstart) have no line: go prints ":-1".
    want = ["??" if w == "?" else "??:0" if w in ("?:0", ":-1") else w for w in want]
    bad = [
        (pcs[i // 2], got[i : i + 2], want[i : i + 2])
        for i in range(0, len(got), 2)
        if got[i : i + 2] != want[i : i + 2]
    ]
    assert not bad, bad[:10]
    print(f"go{go_version} {mode}: {len(pcs)} pcs in {elapsed:.2f}s (process included)")


def test_symbolize_args_json_and_inlines(go_version: str) -> None:
    binary = build("dwsyms", go_version, "opt")
    line = line_of("dwsyms", "f := func() int")
    r = wslgo("lookup", str(binary), f"main.go:{line}", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows and all(row["line"] == line for row in rows)
    addrs = [hex(row["address"]) for row in rows]
    r = wslgo("symbolize", "--json", "--inlines", str(binary), *addrs)
    assert r.returncode == 0, r.stderr
    objs = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["address"] for o in objs] == addrs
    for o in objs:
        inner, outer = o["frames"][0], o["frames"][-1]
        assert (Path(inner["file"]).name, inner["line"]) == ("main.go", line)
        assert outer["function"] == "main.main" and not outer["inlined"]
    # The closure `f` is inlined into main.main in optimized builds: --inlines shows it.
    assert any(len(o["frames"]) > 1 and o["frames"][0]["inlined"] for o in objs), objs
    text = wslgo("symbolize", "-i", str(binary), *addrs).stdout
    assert "(inlined)" in text
    # Default text: physical function, innermost position (what go tool addr2line prints).
    want = go_tool(go_version, "addr2line", str(binary), stdin="\n".join(addrs) + "\n")
    assert wslgo("symbolize", str(binary), *addrs).stdout == want


def test_lookup_matches_go_nm(go_version: str) -> None:
    binary = build("dwsyms", go_version, "debug")
    nm = {name: addr for addr, name in text_symbols(go_version, binary)}
    for query, names in [
        ("main.T.Value", ["main.T.Value", "main.(*T).Value"]),
        ("main.Map[...]", ["main.Map[go.shape.int]", "main.Map[go.shape.string]"]),
        ("runtime·breakpoint", ["runtime.breakpoint.abi0"]),
        ("main.main.func1", ["main.main.func1"]),
    ]:
        r = wslgo("lookup", str(binary), query)
        assert r.returncode == 0, r.stderr
        got = sorted(int(line.split("-")[0], 16) for line in r.stdout.splitlines())
        assert got == sorted(nm[n] for n in names), (query, r.stdout)


def test_info_shows_state_and_hints(go_version: str) -> None:
    minor = int(go_version.split(".")[1])
    out = wslgo("info", str(build("dwsyms", go_version, "debug"))).stdout
    assert f"go{go_version}" in out
    assert f"DWARF:      yes, version {5 if minor >= 25 else 4}, compressed" in out
    assert "optimized:  no (-N -l)" in out
    assert "hint:" not in out
    out = wslgo("info", str(build("dwsyms", go_version, "opt"))).stdout
    assert "hint: optimized build" in out and "-gcflags=all=-N -l" in out
    out = wslgo("info", str(build("dwsyms", go_version, "nodwarf"))).stdout
    assert "DWARF:      no" in out and "-ldflags=-w" in out
    out = wslgo("info", str(build("dwsyms", go_version, "stripped"))).stdout
    assert "symtab:     no" in out and "-ldflags=-s" in out
    info = json.loads(wslgo("info", "--json", str(build("dwsyms", go_version, "stripped"))).stdout)
    assert info["stripped"] and not info["dwarf"]


def test_no_code_line_names_nearest_lines() -> None:
    binary = build("dwsyms", newest(), "debug")
    line = line_of("dwsyms", "no code here")
    r = wslgo("lookup", str(binary), f"main.go:{line}")
    assert r.returncode == 1
    assert "nearest lines with code are" in r.stderr
    assert str(line_of("dwsyms", "LINE-PRINT")) in r.stderr


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    binary = build("dwsyms", newest(), "debug")
    data = binary.read_bytes()
    trunc = tmp_path / "trunc"
    trunc.write_bytes(data[: len(data) // 3])
    tiny = tmp_path / "tiny"
    tiny.write_bytes(data[:100])
    assert "wslgo info:" in one_line_error(wslgo("info", str(tiny)))
    # A truncated file may still open: answers or a one-line error, never a traceback.
    for args in (["info", str(trunc)], ["symbolize", str(trunc), "0x401000"]):
        r = wslgo(*args)
        assert "Traceback" not in r.stderr and r.returncode in (0, 1), r.stderr
    assert "not a Go binary" in one_line_error(wslgo("info", "/bin/sh"))
    assert "bad address" in one_line_error(wslgo("symbolize", str(binary), "0xzz"))
    assert "bad address" in one_line_error(wslgo("symbolize", str(binary), stdin="12\nnope\n"))
    assert "no function named" in one_line_error(wslgo("lookup", str(binary), "main.nosuch"))
    missing = one_line_error(wslgo("info", "/nonexistent/bin"))
    assert "/nonexistent/bin" in missing
    # Unknown pcs are not errors: addr2line's ?? / ??:0.
    r = wslgo("symbolize", str(binary), "0x10")
    assert r.returncode == 0 and r.stdout.splitlines() == ["??", "??:0"]


def test_python_api(go_version: str) -> None:
    from wslgo import _native

    s = _native.Symbols(str(build("dwsyms", go_version, "debug")))
    (name, entry, end), *_ = s.lookup("main.main")
    assert name == "main.main" and end > entry
    frames = s.frames(entry)
    assert frames[-1].function == "main.main" and not frames[-1].inlined
    batch = s.frames_batch([entry, 0x10])
    assert [f.function for f in batch[0]] == [f.function for f in frames] and batch[1] == []
    layout = s.struct_layout("runtime.g")
    assert layout["size"] > 0 and any(f[0] == "goid" for f in layout["fields"])
    assert s.constant("runtime._Grunning") == dict(s.constants("runtime._G"))["runtime._Grunning"]
    addr, size, ty = s.variable("main.Counter")
    assert size == 8 and ty == "int64"
    assert "main.main.func1" in s.search("main.main.func")
    with pytest.raises(_native.NotFoundError):
        s.lookup("nosuch.func")
    with pytest.raises(_native.NotFoundError):
        s.constant("runtime._Gnosuch")
    with pytest.raises(_native.BadBinaryError):
        _native.Symbols("/bin/sh")
    assert os.fspath(s.info()["path"]).endswith(
        "dwsyms-debug-" + build("dwsyms", go_version, "debug").name.rsplit("-", 1)[1]
    )


def test_stdin_stream_equals_arguments_for_every_option(go_version: str) -> None:
    """Batch stdin goes through the Rust stream (parse + format + chunked write); its output
    equals the per-address path for every option, blank lines and spacing included, and
    options argparse must handle (bundled flags, --help) still work."""
    binary = build("dwsyms", go_version, "opt")
    pcs = [a for a, _ in text_symbols(go_version, binary)]
    # Entries, mid-function pcs (inlined code among them) and an unknown pc.
    addrs = [hex(a) for a in pcs] + [hex(a + 5) for a in pcs] + ["0x10"]
    stdin = "\n" + "".join(f"  {a.upper().replace('0X', '0x')} \r\n\n" for a in addrs)
    chunks = [addrs[i : i + 2000] for i in range(0, len(addrs), 2000)]
    for opts in ([], ["--inlines"], ["--json"], ["-a", "-i"], ["--json", "--inlines"]):
        r = wslgo("symbolize", *opts, str(binary), stdin=stdin)
        assert r.returncode == 0, r.stderr
        want = "".join(wslgo("symbolize", *opts, str(binary), *c).stdout for c in chunks)
        assert r.stdout == want, opts
    assert len(want.splitlines()) > 64 * 1024 // 100  # more than one output chunk
    bundled = wslgo("symbolize", "-ai", str(binary), stdin=stdin)
    assert bundled.returncode == 0 and bundled.stdout == want_for(binary, ["-a", "-i"], stdin)
    assert "--inlines" in wslgo("symbolize", "--help").stdout
    assert "usage" in wslgo("symbolize").stderr


def want_for(binary: Path, opts: list[str], stdin: str) -> str:
    return wslgo("symbolize", *opts, str(binary), stdin=stdin).stdout


def test_symbolize_start_up_imports_stay_lean(go_version: str) -> None:
    """`wslgo symbolize` must not pay for argparse, pathlib or json (the interpreter's start-up
    plus these imports cost more than symbolizing 1,000 pcs)."""
    binary = build("dwsyms", go_version, "nodwarf")
    # Only what wslgo itself imports counts: site-packages' .pth files may have loaded
    # some of these before wslgo runs.
    code = (
        "import sys; before = set(sys.modules); from wslgo import cli; "
        f"rc = cli.main(['symbolize', {str(binary)!r}]); "
        "print(rc, sorted(m for m in ('argparse', 'pathlib', 'json', 'typing') "
        "if m in sys.modules and m not in before), file=sys.stderr)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], input="0x10\n", capture_output=True, text=True, timeout=60
    )
    assert r.stdout == "??\n??:0\n" and r.stderr.strip() == "0 []", r.stderr
