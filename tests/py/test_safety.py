"""Trust boundaries: the loader never runs code from the current directory,
`wslgo gdbinit --install` only touches its own lines, odd files and arguments get one clear
line."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import wslgo
from conftest import ROOT, build, run_gdb
from wslgo_testing.cores import crash_core, unlimited_cores
from wslgo_testing.versions import full_version, newest

PRINT_NATIVE = "python import wslgo._native as n; print('NATIVE=' + n.__file__)"


def trap(tmp_path: Path) -> tuple[Path, Path]:
    """A directory holding a `wslgo` package and a `python3` that leave a marker when run."""
    cwd = tmp_path / "v"
    (cwd / "wslgo").mkdir(parents=True)
    marker = tmp_path / "PWNED"
    (cwd / "wslgo" / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write('init\\n')\n")
    fake = cwd / "python3"
    fake.write_text(f"#!/bin/sh\necho python3 >> '{marker}'\nexit 1\n")
    fake.chmod(0o755)
    return cwd, marker


def checkout_loader(tmp_path: Path) -> Path:
    """The checkout's loader as in a fresh clone: no native module next to it."""
    entry = tmp_path / "checkout" / "gdbinit.d" / "wslgo.py"
    entry.parent.mkdir(parents=True)
    shutil.copy(ROOT / "gdbinit.d" / "wslgo.py", entry)
    return entry


@pytest.mark.parametrize(
    "path_prefix",
    ["", ".:", "::", "bin:.:"],
    ids=["plain", "dot-first", "empty-entry", "relative-entries"],
)
def test_loader_never_runs_code_from_the_cwd(
    gdb_path: str, tmp_path: Path, path_prefix: str
) -> None:
    cwd, marker = trap(tmp_path)
    (cwd / "bin").mkdir()
    shutil.copy(cwd / "python3", cwd / "bin" / "python3")
    venv_bin = str(Path(sys.executable).parent)
    env = {"PATH": f"{path_prefix}{venv_bin}:/usr/bin:/bin"}
    r = run_gdb([PRINT_NATIVE, "print 6*7"], source=checkout_loader(tmp_path), env=env, cwd=cwd)
    assert not marker.exists(), marker.read_text() + r.output
    # The fallback found the installed distribution, not the trap.
    assert f"NATIVE={wslgo.native_path()}" in r.stdout, r.output
    assert "$1 = 42" in r.stdout, r.output


# ---- odd files and arguments: one clear line at once ---------------------------------------


def cli(*argv: str, timeout: float = 20, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **kw,  # type: ignore[arg-type]
    )


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0, r
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), r.stderr
    assert "Traceback" not in r.stderr and "panicked" not in r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def go_binary() -> Path:
    return build("grstates", newest(), "opt")


def odd_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return {
        "fifo": (fifo, "is a FIFO"),
        "dir": (tmp_path, "is a directory"),
        "devnull": (Path("/dev/null"), "is a character device"),
    }


@pytest.mark.parametrize("kind", ["fifo", "dir", "devnull"])
def test_odd_file_as_binary_or_core_errors_at_once(
    tmp_path: Path, go_binary: Path, kind: str
) -> None:
    odd, says = odd_files(tmp_path)[kind]
    for argv in (
        ["symbolize", str(odd), "0x401000"],
        ["symbolize", str(odd)],
        ["lookup", str(odd), "main.main"],
        ["info", str(odd)],
        ["goroutines", str(odd), str(go_binary)],
    ):
        line = one_error_line(cli(*argv))
        assert f"{odd} {says}, not an ELF file" in line, (argv, line)
    line = one_error_line(cli("goroutines", str(go_binary), str(odd)))
    assert f"{odd} {says}, not a core file" in line, line


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["--id", "99999999999999999999999"],
            "goroutine id 99999999999999999999999 is out of range",
        ),
        (["--id", "-1"], "goroutine id -1 is out of range"),
        (["--id", "x"], "goroutine id must be an integer"),
        (["--depth", "-1"], "depth -1 is out of range"),
        (["--depth", str(10**23)], f"depth {10**23} is out of range"),
        (["--depth", "1000000"], "wslgo unwinds at most 512 frames per goroutine"),
        (["--pid", "99999999999999999999"], "process id 99999999999999999999 is out of range"),
    ],
)
def test_integer_arguments_are_range_checked(go_binary: Path, argv: list[str], says: str) -> None:
    r = cli("goroutines", str(go_binary), "/nonexistent-core", *argv)
    assert r.returncode == 2, r
    assert says in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "too big" not in r.stderr


def test_lookup_line_number_is_range_checked(go_binary: Path) -> None:
    line = one_error_line(cli("lookup", str(go_binary), "main.go:99999999999999999999"))
    assert "line number 99999999999999999999 is out of range" in line, line
    assert "too large" not in line


def test_truncated_binary_says_truncated(tmp_path: Path, go_binary: Path) -> None:
    data = go_binary.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) // 3])
    for argv in (["info", str(cut)], ["symbolize", str(cut), "0x401000"]):
        line = one_error_line(cli(*argv))
        assert f"{cut} is truncated at byte {len(data) // 3} of {len(data)}" in line, line


def test_pid_of_an_exited_process_says_so(tmp_path: Path) -> None:
    zombie = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{zombie.pid}/stat").read_bytes().rpartition(b")")[2].split()[0] != b"Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        line = one_error_line(cli("goroutines", "--pid", str(zombie.pid)))
        assert f"process {zombie.pid} has exited" in line, line
    finally:
        zombie.wait()
    line = one_error_line(cli("goroutines", "--pid", str(zombie.pid)))
    assert f"no process {zombie.pid}" in line or "has exited" in line, line


def test_pid_of_another_user_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the CLI as another user")
    # Run the CLI as nobody against pid 1 (root's): the kernel refuses /proc/1/exe.
    # nobody may not be able to read where pip put the package (a home or checkout of mode
    # 0700), so it runs from a world-readable copy.
    site = Path(tempfile.mkdtemp(prefix="wslgo-nobody-", dir="/tmp"))
    shutil.copytree(Path(wslgo.__file__).parent, site / "wslgo")
    for d in [site, *(p for p in site.rglob("*"))]:
        d.chmod(0o755 if d.is_dir() or d.suffix == ".so" else 0o644)
    r = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "wslgo.cli",
            "goroutines",
            "--pid",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=20,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)},
    )
    shutil.rmtree(site)
    line = one_error_line(r)
    assert "cannot read process 1: permission denied" in line, line
    assert "Errno" not in line


# ---- program-controlled bytes: escaped once in text, raw (JSON-escaped) in JSON ------------

# What the badlabels fixture sets, and how text output must show it.
BAD_LABELS = {
    "nul": ("a\x00b", "nul=a\\x00b"),
    "esc": ("\x1b[31mred\x1b[0m", "esc=\\x1b[31mred\\x1b[0m"),
    "title": ("\x1b]0;pwned\x07", "title=\\x1b]0;pwned\\x07"),
    "bel": ("ding\x07", "bel=ding\\x07"),
    "c1": ("\x9bX", "c1=\\x9bX"),
    "line": (
        "x\n  99999 [running] main.forged at forged.go:1",
        "line=x\\n  99999 [running] main.forged at forged.go:1",
    ),
    "k\x00ey": ("v", "k\\x00ey=v"),
    "plain": ("ok", "plain=ok"),
}
RAW_CONTROLS = ("\x00", "\x1b", "\x07", "\x9b")


def assert_escaped_listing(text: str) -> None:
    for c in RAW_CONTROLS:
        assert c not in text, (c, text)
    assert not re.search(r"^\s*99999 ", text, re.M), text  # no forged line
    for _key, (_raw, shown) in BAD_LABELS.items():
        assert shown in text, (shown, text)
    # one line per labelled goroutine: every parked goroutine is listed
    parked = [ln for ln in text.splitlines() if "main.parked" in ln]
    assert len(parked) == 6, text


def assert_raw_labels_in_json(doc: dict) -> None:
    labels = [g["labels"] for g in doc["goroutines"] if g.get("labels")]
    merged = {k: v for lab in labels for k, v in lab.items()}
    for key, (raw, _shown) in BAD_LABELS.items():
        if key == "k\x00ey" or key == "c1":
            continue
        assert merged.get(key) == raw, (key, merged)
    assert merged.get("k\x00ey") == "v", merged


def test_bad_labels_on_a_core_text_and_json(tmp_path: Path, go_version: str) -> None:
    binary = build("badlabels", go_version, "opt")
    core, _ = crash_core(binary, tmp_path)
    base = ["goroutines", str(binary), str(core)]
    r = cli(*base, timeout=60)
    assert r.returncode == 0, r.stderr
    assert_escaped_listing(r.stdout)
    for extra in (["--user"], ["--label", "plain"], ["--full"], ["--group"]):
        r = cli(*base, *extra, timeout=60)
        assert r.returncode == 0, (extra, r.stderr)
        for c in RAW_CONTROLS:
            assert c not in r.stdout, (extra, c, r.stdout)
        assert "99999 [running]" not in r.stdout.replace("\\n  99999", ""), r.stdout
    full = cli(*base, "--full", timeout=60).stdout
    assert '"title":"\\x1b]0;pwned\\x07"' in full, full
    r = cli(*base, "--json", timeout=60)
    assert r.returncode == 0, r.stderr
    for c in RAW_CONTROLS:
        assert c not in r.stdout
    assert_raw_labels_in_json(json.loads(r.stdout))


def test_bad_labels_live_in_gdb(gdb_run, go_version: str) -> None:
    binary = build("badlabels", go_version, "opt")
    cmds = ["run"]
    cmds += ["echo BEGIN-list\\n", "wslgo-bt -l", "echo END-list\\n"]
    cmds += ["echo BEGIN-label\\n", "wslgo-bt -l --label plain --user", "echo END-label\\n"]
    cmds += ["echo BEGIN-all\\n", "wslgo-bt all --no-group", "echo END-all\\n"]
    cmds += ["echo BEGIN-json\\n", "wslgo-bt all --no-group --json", "echo END-json\\n"]
    r = gdb_run(cmds, binary=binary, timeout=240)
    out = r.stdout

    def part(name: str) -> str:
        return out.split(f"BEGIN-{name}\n", 1)[1].split(f"END-{name}", 1)[0]

    assert "embedded null" not in r.output and "Python Exception" not in r.output, r.output
    assert_escaped_listing(part("list"))
    assert "plain=ok" in part("label"), part("label")
    everything = part("all")
    for c in RAW_CONTROLS:
        assert c not in everything
    assert '"line":"x\\n  99999 [running] main.forged at forged.go:1"' in everything
    assert_raw_labels_in_json(json.loads(part("json")))


# ---- `wslgo gdbinit --install`: only its own lines, atomically --------------------------------


def install(home: Path | str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home))
    return cli("gdbinit", "--install", env=env, **kw)


def test_install_keeps_unrelated_wslgo_named_lines_and_replaces_its_own(tmp_path: Path) -> None:
    entry = f"source {wslgo.GDB_ENTRY}"
    rc = tmp_path / ".gdbinit"
    rc.write_text(
        "source ~/mytools/wslgo.py\n"
        "source /old/venv/lib/python3.9/site-packages/wslgo/gdbinit/wslgo.py\n"
        "set print pretty on\n"
    )
    r = install(tmp_path)
    assert r.returncode == 0, r.stderr
    assert rc.read_text().splitlines() == [
        "source ~/mytools/wslgo.py",
        entry,
        "set print pretty on",
    ]
    # A line wslgo itself added (the marker above it) is replaced wherever it points.
    rc.write_text(f"set a 1\n{cli_mark()}\nsource /moved/elsewhere.py\n")
    assert install(tmp_path).returncode == 0
    assert rc.read_text().splitlines() == ["set a 1", cli_mark(), entry]


def cli_mark() -> str:
    from wslgo.cli import GDBINIT_MARK

    return GDBINIT_MARK


def test_install_keeps_crlf_mode_and_symlink_and_replaces_atomically(tmp_path: Path) -> None:
    dots = tmp_path / "dotfiles"
    dots.mkdir()
    target = dots / "gdbinit"
    target.write_bytes(b"set history save on\r\nset pagination off\r\n")
    target.chmod(0o600)
    before = target.stat().st_ino
    (tmp_path / ".gdbinit").symlink_to(target)
    r = install(tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / ".gdbinit").is_symlink()
    assert os.readlink(tmp_path / ".gdbinit") == str(target)
    data = target.read_bytes()
    assert data == (
        b"set history save on\r\nset pagination off\r\n"
        + cli_mark().encode()
        + b"\r\n"
        + f"source {wslgo.GDB_ENTRY}\r\n".encode()
    ), data
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.stat().st_ino != before  # a new file renamed over the old one
    assert sorted(p.name for p in dots.iterdir()) == ["gdbinit"]  # no temp file left


@pytest.mark.parametrize("kind", ["empty-home", "fifo", "dev-full", "dev-null", "directory"])
def test_install_refuses_odd_homes_and_files_without_reading(tmp_path: Path, kind: str) -> None:
    home: Path | str = tmp_path
    rc = tmp_path / ".gdbinit"
    says = {
        "empty-home": "HOME is empty",
        "fifo": f"{rc} is a FIFO, not a regular file",
        "dev-full": "/dev/full is a character device, not a regular file",
        "dev-null": "/dev/null is a character device, not a regular file",
        "directory": f"{rc} is a directory, not a regular file",
    }[kind]
    if kind == "empty-home":
        home = ""
    elif kind == "fifo":
        os.mkfifo(rc)
    elif kind == "directory":
        rc.mkdir()
    else:
        rc.symlink_to("/dev/full" if kind == "dev-full" else "/dev/null")
    r = install(home, timeout=10)
    line = one_error_line(r)
    assert says in line, line
    assert not Path("/.gdbinit").exists() or kind != "empty-home"


def section_range(binary: Path, name: str) -> tuple[int, int]:
    """(file offset, size) of section NAME, from readelf."""
    out = subprocess.run(
        ["readelf", "-W", "-S", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 6 and f[1] == name:
            return int(f[4], 16), int(f[5], 16)
    raise AssertionError(f"no {name} in {binary}")


@pytest.mark.parametrize("fill", [0x00, 0xFF])
def test_overwritten_pclntab_body_is_reported(tmp_path: Path, fill: int) -> None:
    binary = build("grstates", newest(), "opt")
    core, _ = crash_core(binary, tmp_path)
    off, size = section_range(binary, ".gopclntab")
    data = bytearray(binary.read_bytes())
    header = 8 + 8 * 8  # magic, pad, quantum, ptrsize, then 8 words
    data[off + header : off + size] = bytes([fill]) * (size - header)
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    bad.chmod(0o755)
    info = cli("info", str(bad))
    assert info.returncode == 0, info.stderr
    pcln = next(ln for ln in info.stdout.splitlines() if ln.startswith("pclntab:"))
    assert pcln.startswith("pclntab:    no (corrupt pclntab: the function table"), pcln
    line = one_error_line(cli("goroutines", str(bad), str(core), timeout=60))
    assert "corrupt pclntab: the function table" in line, line
    assert "? at ?:0" not in line


@pytest.mark.parametrize("mode", ["opt", "pie"])
def test_core_of_a_non_go_pie_is_named_foreign(tmp_path: Path, mode: str) -> None:
    sleep = shutil.which("sleep")
    assert sleep
    proc = subprocess.Popen([sleep, "30"], cwd=tmp_path, preexec_fn=unlimited_cores)
    time.sleep(0.2)
    proc.send_signal(signal.SIGABRT)
    proc.wait()
    cores = sorted(tmp_path.glob("core*"))
    assert cores, "no core of sleep written"
    binary = build("grstates", newest(), mode)
    line = one_error_line(cli("goroutines", str(binary), str(cores[0]), timeout=60))
    assert f"was not written by {binary}" in line, line


# ---- memory exhaustion: one line and exit 1, or a complete result ----------------------------


def many_goroutines_core(tmp_path: Path, n: int) -> tuple[Path, Path]:
    binary = build("grmany", newest(), "opt")
    env = dict(os.environ, GOTRACEBACK="crash", GRMANY_N=str(n))
    r = subprocess.run(
        [str(binary)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        preexec_fn=unlimited_cores,
    )
    assert r.returncode != 0
    cores = sorted(tmp_path.glob("core*"))
    assert cores, "no core written"
    return binary, cores[0]


@pytest.mark.slow  # a sweep of ~40 runs under memory limits: scripts/test --slow
def test_out_of_memory_is_one_line_never_an_abort_or_a_hang(tmp_path: Path) -> None:
    binary, core = many_goroutines_core(tmp_path, 20000)
    seen: dict[str, int] = {}
    for mode, limits_mb in (
        ("--group", range(60, 300, 10)),
        ("--json", range(100, 400, 40)),
        ("--user", range(100, 260, 40)),
    ):
        for mb in limits_mb:

            def limit(mb: int = mb) -> None:
                resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))

            r = subprocess.run(
                [sys.executable, "-m", "wslgo.cli", "goroutines", mode, str(binary), str(core)],
                capture_output=True,
                text=True,
                timeout=60,  # RUST_BACKTRACE=1 used to deadlock here
                env=dict(os.environ, RUST_BACKTRACE="1"),
                preexec_fn=limit,
                stdin=subprocess.DEVNULL,
            )
            what = f"{mode} at {mb} MB"
            assert r.returncode >= 0, f"{what}: killed by signal {-r.returncode}: {r.stderr}"
            for bad in ("panicked", "memory allocation of", "Traceback", "PyObject", "abort"):
                assert bad not in r.stderr, f"{what}: {r.stderr}"
            if r.returncode == 0:  # complete: every parked goroutine (+ a few system ones)
                if mode == "--json":
                    assert len(json.loads(r.stdout)["goroutines"]) > 20000, what
                else:
                    m = re.search(r"^(\d+) goroutines \(", r.stderr, re.M)
                    assert m and int(m.group(1)) > 20000, f"{what}: {r.stderr}"
                seen["complete"] = seen.get("complete", 0) + 1
            else:
                lines = r.stderr.splitlines()
                assert len(lines) == 1 and lines[0].startswith("wslgo goroutines: "), (what, lines)
                assert len(lines[0]) > len("wslgo goroutines: ") + 3, (what, lines)
                key = "out of memory" if "out of memory" in lines[0] else lines[0]
                seen[key] = seen.get(key, 0) + 1
    # The sweep reaches both outcomes: limits too small and large enough.
    assert seen.get("complete") and len(seen) > 1, seen


def test_missing_goroutine_id_is_an_error(tmp_path: Path) -> None:
    binary = build("grstates", newest(), "opt")
    core, _ = crash_core(binary, tmp_path)
    for mode in ([], ["--full"], ["--json"]):
        r = cli("goroutines", str(binary), str(core), "--id", "1", "--id", "999999", *mode)
        assert r.returncode == 1, (mode, r)
        assert "wslgo goroutines: no goroutine 999999" in r.stderr, (mode, r.stderr)
        shown = re.search(r"^[* ]\s+1 \[|^goroutine 1 \[|\"goid\": ?1,", r.stdout, re.M)
        assert shown, (mode, r.stdout)


def test_names_and_go_version_from_a_doctored_binary_are_escaped(
    gdb_path: str, tmp_path: Path
) -> None:
    binary = build("grstates", newest(), "opt")
    entry = cli("lookup", str(binary), "main.nilChan").stdout.split("-")[0]
    data = bytearray(binary.read_bytes())
    # Same lengths, so every offset in the pclntab and .go.buildinfo stays valid.
    name = data.find(b"\x00main.nilChan\x00") + 1  # in the pclntab's name table
    assert name > 0
    data[name : name + 12] = b"ma\x1b]0;\x07\nChan"
    go = f"go{full_version(newest())}".encode()
    ver = data.rfind(go)  # the one in .go.buildinfo
    assert ver > 0
    evil = "go1\x1b[31m\n"[: len(go)].ljust(len(go), "\n")  # the version's length
    shown = evil.replace("\x1b", "\\x1b").replace("\n", "\\n")
    data[ver : ver + len(go)] = evil.encode()
    bad = tmp_path / "doctored"
    assert len(data) == len(binary.read_bytes())
    bad.write_bytes(bytes(data))
    bad.chmod(0o755)

    sym = cli("symbolize", str(bad), entry)
    assert sym.returncode == 0, sym.stderr
    assert sym.stdout.splitlines()[0] == "ma\\x1b]0;\\x07\\nChan", sym.stdout
    info = cli("info", str(bad))
    assert f"go:         {shown}\n" in info.stdout, info.stdout
    as_json = json.loads(cli("info", "--json", str(bad)).stdout)
    assert as_json["go_version"] == evil
    r = run_gdb(["python print('ALIVE')"], source=wslgo.GDB_ENTRY, binary=bad)
    banner = [ln for ln in r.stdout.splitlines() if ln.startswith("wslgo: doctored")]
    assert banner and f"{shown}," in banner[0], r.output
    for c in ("\x1b", "\x07"):
        assert c not in sym.stdout + info.stdout + r.stdout


def test_symbol_file_cache_is_refused_when_others_can_write_it(tmp_path: Path) -> None:
    """The pclntab symbol files of stripped programs are cached in TMPDIR/wslgo-UID: used
    when that directory is ours alone, refused (None) when group or others can write it,
    since gdb would read whatever symbol file another user put there."""
    program = tmp_path / "prog"
    program.write_bytes(b"\x7fELF")
    code = (
        "import sys; from wslgo import _native, symfile; "
        "print(symfile.cache_file(sys.argv[1], _native.__file__))"
    )

    def cache_file() -> str:
        env = {**os.environ, "TMPDIR": str(tmp_path)}
        r = subprocess.run(
            [sys.executable, "-c", code, str(program)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        return r.stdout.strip()

    cache = tmp_path / f"wslgo-{os.getuid()}"
    got = cache_file()
    assert os.path.dirname(got) == str(cache) and got.endswith(".sym"), got
    assert cache.stat().st_mode & 0o777 == 0o700
    assert cache_file() == got  # the same program and wslgo: the same file
    cache.chmod(0o777)
    assert cache_file() == "None"
    cache.chmod(0o720)
    assert cache_file() == "None"
    cache.chmod(0o700)
    assert cache_file() == got
