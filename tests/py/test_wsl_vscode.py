"""`wslgo vscode`: cppdbg configurations that are valid JSON, a --write that merges and
refuses what it cannot parse, and gdb in MI mode (as cppdbg runs it) with exactly the
generated setupCommands stopping a fixture at runtime.Breakpoint() with wslgo's context."""

from __future__ import annotations

import json
import os
import queue
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import build
from wslgo import _native, vscode
from wslgo_testing.gdb import GDB_MI

ENV = {**os.environ, "WSLGO_CONFIG": "/nonexistent"}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wslgo.cli", "vscode", *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=cwd,
        timeout=60,
    )


def test_printed_configurations_are_valid_json() -> None:
    p = cli("--program", "/home/dev/app/app", "--map", r"C:\Users\dev\app=/home/dev/app")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    confs = {c["name"]: c for c in doc["configurations"]}
    assert set(confs) == {
        "wslgo: launch",
        "wslgo: attach to process",
        "wslgo: core file",
        "wslgo: gdbserver",
    }
    for c in confs.values():
        assert c["type"] == "cppdbg" and c["MIMode"] == "gdb"
        assert c["program"] == "/home/dev/app/app"
        texts = [s["text"] for s in c["setupCommands"]]
        assert any(t.startswith("source ") and t.endswith("wslgo.py") for t in texts)
        assert "set wslgo path-map C:\\Users\\dev\\app /home/dev/app" in texts
        assert c["sourceFileMap"] == {"C:\\Users\\dev\\app": "/home/dev/app"}
    assert confs["wslgo: attach to process"]["request"] == "attach"
    assert confs["wslgo: core file"]["coreDumpPath"].endswith("/core")
    assert confs["wslgo: gdbserver"]["miDebuggerServerAddress"] == "localhost:2345"


def test_write_creates_merges_and_refuses(tmp_path: Path) -> None:
    p = cli("--write", "--folder", str(tmp_path), "--program", "/x/app")
    assert p.returncode == 0 and "added wslgo: launch" in p.stdout, p.stderr
    launch = tmp_path / ".vscode" / "launch.json"
    assert len(json.loads(launch.read_text())["configurations"]) == 4
    # a user's file with comments and trailing commas: kept, ours appended once
    launch.write_text(
        '{\n  // my own\n  "version": "0.2.0",\n  "configurations": [\n'
        '    {"name": "mine", "type": "go", "request": "launch",},\n  ],\n}\n'
    )
    p = cli("--write", "--folder", str(tmp_path))
    assert p.returncode == 0, p.stderr
    text = launch.read_text()
    assert "// my own" in text
    names = [c["name"] for c in _parse(text)["configurations"]]
    assert names[0] == "mine" and len(names) == 5
    p = cli("--write", "--folder", str(tmp_path))
    assert "already has wslgo: launch" in p.stdout and launch.read_text() == text
    # a file it cannot parse: says so, changes nothing
    broken = '{"configurations": [ {"name": "x" ]'
    launch.write_text(broken)
    p = cli("--write", "--folder", str(tmp_path))
    assert p.returncode == 1 and "launch.json" in p.stderr and p.stderr.count("\n") == 1
    assert launch.read_text() == broken


def _parse(text: str) -> dict[str, object]:
    """A launch.json (JSONC: comments, trailing commas) as data."""
    return json.loads(_native.jsonc_to_json(text))


def test_mi_with_generated_setup_commands(go_version: str, gdb_path: str) -> None:
    binary = build("hello", go_version)
    conf = vscode.configurations(str(binary))[0]  # launch
    cmds: list[str] = []
    for i, s in enumerate(conf["setupCommands"], 1):
        text = s["text"]
        if text.startswith("-"):
            cmds.append(f"{i}{text}")
        else:  # cppdbg sends console commands through -interpreter-exec
            esc = text.replace("\\", "\\\\").replace('"', '\\"')
            cmds.append(f'{i}-interpreter-exec console "{esc}"')
    cmds += [f"90-file-exec-and-symbols {binary}", "91-exec-run"]
    proc = subprocess.Popen(
        [gdb_path, *GDB_MI[1:]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    proc.stdin.write("\n".join(cmds) + "\n")
    proc.stdin.flush()
    seen: list[str] = []
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line.rstrip("\n"))
            if line.startswith("*stopped"):
                # the stop handler's console output follows the record: collect a moment
                end = time.time() + 3
                while time.time() < end:
                    try:
                        seen.append(lines.get(timeout=0.5).rstrip("\n"))
                    except queue.Empty:
                        pass
                break
    finally:
        proc.stdin.write("99-gdb-exit\n")
        proc.stdin.flush()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    out = "\n".join(seen)
    assert any(x.startswith("*stopped") for x in seen), out
    assert not any(x.startswith(("^error", "1^error", "2^error")) or "^error" in x for x in seen), (
        out
    )
    console = "\n".join(x for x in seen if x.startswith('~"'))
    assert "wslgo: Go breakpoint: runtime.Breakpoint() in main.main" in console, out
    assert "goroutine 1" in console


def test_write_keeps_name_type_request_first(tmp_path: Path) -> None:
    """The configurations --write adds start with name, type, request, as VS Code writes
    them (the merge used to hash-order each one's keys)."""
    p = cli("--write", "--folder", str(tmp_path), "--program", "/x/app")
    assert p.returncode == 0, p.stderr
    text = (tmp_path / ".vscode" / "launch.json").read_text()
    confs = json.loads(text)["configurations"]
    assert len(confs) == 4
    for c in confs:
        assert list(c)[:3] == ["name", "type", "request"], list(c)
    # and the printed form, the same configurations
    for c in json.loads(cli("--program", "/x/app").stdout)["configurations"]:
        assert list(c)[:3] == ["name", "type", "request"], list(c)


def test_write_never_follows_a_link_out_of_the_workspace(tmp_path: Path) -> None:
    ws, elsewhere = tmp_path / "ws", tmp_path / "home"
    (ws / ".vscode").mkdir(parents=True)
    elsewhere.mkdir()
    settings = elsewhere / "settings.json"
    settings.write_text('{"editor.fontSize": 14}\n')
    (ws / ".vscode" / "launch.json").symlink_to(settings)
    p = cli("--write", "--folder", str(ws))
    assert p.returncode == 1 and p.stderr.count("\n") == 1, (p.stdout, p.stderr)
    assert "outside the workspace" in p.stderr and str(settings) in p.stderr
    assert settings.read_text() == '{"editor.fontSize": 14}\n'
    # the same through a linked .vscode directory
    (ws / ".vscode" / "launch.json").unlink()
    (ws / ".vscode").rmdir()
    (ws / ".vscode").symlink_to(elsewhere)
    p = cli("--write", "--folder", str(ws))
    assert p.returncode == 1 and "outside the workspace" in p.stderr, p.stderr
    assert sorted(x.name for x in elsewhere.iterdir()) == ["settings.json"]
    # a link that stays inside the workspace is written through, the link kept
    (ws / ".vscode").unlink()
    (ws / ".vscode").mkdir()
    (ws / "shared.json").write_text('{"version": "0.2.0", "configurations": []}\n')
    (ws / ".vscode" / "launch.json").symlink_to(ws / "shared.json")
    p = cli("--write", "--folder", str(ws))
    assert p.returncode == 0, p.stderr
    assert (ws / ".vscode" / "launch.json").is_symlink()
    assert len(json.loads((ws / "shared.json").read_text())["configurations"]) == 4


def test_write_is_atomic(tmp_path: Path) -> None:
    """The file is replaced by a rename: a reader holding the old file (here a hard link)
    still has the whole old text, and no temporary file is left behind."""
    vs = tmp_path / ".vscode"
    vs.mkdir()
    old = '{"version": "0.2.0", "configurations": []}\n'
    (vs / "launch.json").write_text(old)
    (vs / "launch.json").chmod(0o640)
    os.link(vs / "launch.json", tmp_path / "reader")
    p = cli("--write", "--folder", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "reader").read_text() == old
    assert len(json.loads((vs / "launch.json").read_text())["configurations"]) == 4
    assert (vs / "launch.json").stat().st_mode & 0o777 == 0o640
    assert sorted(x.name for x in vs.iterdir()) == ["launch.json"]


def test_write_refuses_fifos_and_devices_without_hanging(tmp_path: Path) -> None:
    vs = tmp_path / ".vscode"
    vs.mkdir()
    os.mkfifo(vs / "launch.json")
    p = cli("--write", "--folder", str(tmp_path))  # cli() times out after 60 s
    assert p.returncode == 1 and "is a FIFO, not a launch.json" in p.stderr, p.stderr
    (vs / "launch.json").unlink()
    try:
        os.mknod(vs / "launch.json", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        (vs / "launch.json").symlink_to(tmp_path / "zero")
        os.mkfifo(tmp_path / "zero")
    p = cli("--write", "--folder", str(tmp_path))
    assert p.returncode == 1 and p.stderr.count("\n") == 1, p.stderr
    assert "is a character device" in p.stderr or "is a FIFO" in p.stderr, p.stderr


def test_write_accepts_and_keeps_a_bom(tmp_path: Path) -> None:
    vs = tmp_path / ".vscode"
    vs.mkdir()
    mine = '{"version": "0.2.0", "configurations": [{"name": "mine", "type": "go"}]}\n'
    (vs / "launch.json").write_bytes(b"\xef\xbb\xbf" + mine.encode())
    p = cli("--write", "--folder", str(tmp_path))
    assert p.returncode == 0, p.stderr
    data = (vs / "launch.json").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not data[3:].startswith(b"\xef\xbb\xbf")
    names = [c["name"] for c in _parse(data[3:].decode())["configurations"]]  # type: ignore[index]
    assert names[0] == "mine" and len(names) == 5
