"""report.py on records: filters, the four output modes and the CLI argument plumbing.
Records come from a real core of the grstates fixture (the engine's own output), so the
formats are checked against what users will see, not against hand-written dicts."""

from __future__ import annotations

import argparse
import ast
import json
import re
from pathlib import Path

import pytest
from conftest import build
from wslgo import _native, report
from wslgo_testing import pyviews
from wslgo_testing.cores import crash_core
from wslgo_testing.traceback import parse_dump
from wslgo_testing.versions import newest


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> _native.Core:
    tmp = tmp_path_factory.mktemp("core")
    binary = build("grstates", newest(), "debug")
    core, _ = crash_core(binary, tmp)
    return _native.Core(binary, core)


@pytest.fixture(scope="module")
def records(target: _native.Core) -> list[dict]:
    return target.goroutines()


class Brackets(report.Style):
    def affixes(self) -> dict[str, tuple[str, str]]:
        return {"func": ("<", ">"), "file": ("[[", "]]")}


def native_list(
    target: _native.Core, flt: report.Filter, st: report.Style = report.PLAIN
) -> tuple[dict, _native.Snapshot]:
    """The list view as the CLI and `wslgo-bt -l` make it: a snapshot with the stacks the
    list needs (down to the user frame unless --func needs whole stacks), rendered."""
    snap = target.snapshot(scope=report.snapshot_scope("list", flt))
    return dict(report.render_native(snap, "list", flt, st)), snap


@pytest.mark.parametrize(
    "flt",
    [
        report.Filter(),
        report.Filter(user_only=True),
        report.Filter(states=["CHAN"], waits=["receive"]),
        report.Filter(func=r"main\.go:\d+$"),
        report.Filter(func=r"^main\.sleeper$"),
        report.Filter(labels=["shard"]),
        report.Filter(labels=["worker=grstates", "shard=7"]),
        report.Filter(goids=[1, 2, 999999]),
        report.Filter(labels=["nothing-has-this"]),
    ],
    ids=repr,
)
def test_native_list_equals_format_list(
    target: _native.Core, records: list[dict], flt: report.Filter
) -> None:
    """The engine's list view (CLI and `wslgo-bt -l`) and the Python formatter of records
    give the same bytes, and the same summary."""
    for st in (report.PLAIN, Brackets()):
        got, snap = native_list(target, flt, st)
        want = pyviews.format_list(pyviews.apply(records, flt), st)
        assert got["text"] == want
        assert got["shown"] == len(want.splitlines())
        assert snap.summary() == pyviews.summary(records)
    assert got["missing"] == sorted(set(flt.goids) - {g["goid"] for g in records})
    if flt == report.Filter():
        assert "(system)" in want and "=" in want and "<main.main> at [[" in want


def test_native_list_rejects_a_bad_regex_in_one_line(target: _native.Core) -> None:
    with pytest.raises(ValueError, match=r'^--func "\(" is not a regex: unclosed group$'):
        native_list(target, report.Filter(func="("))


def test_list_has_one_line_per_goroutine_current_first(records: list[dict]) -> None:
    out = pyviews.render(records, "list", report.Filter()).splitlines()
    assert len(out) == len(records)
    assert out[0].startswith("*") and re.match(r"\*\s+1 \[running\] main\.main at ", out[0])
    assert all(not line.startswith("*") for line in out[1:])


def test_filters_state_wait_func_labels_user(records: list[dict]) -> None:
    def ids(**kw: object) -> set[int]:
        return {g["goid"] for g in pyviews.apply(records, report.Filter(**kw))}  # type: ignore[arg-type]

    every = {g["goid"] for g in records}
    system = {g["goid"] for g in records if g["system"]}
    mine = {g["goid"] for g in records if any(f["func"].startswith("main.") for f in g["frames"])}
    # --user: the goroutines with a frame of the main module (no system goroutine has one)
    assert system and ids(user_only=True) == mine
    assert mine == {g["goid"] for g in records if g["main_module_frame"]} and not mine & system
    sleepers = ids(waits=["sleep"])
    assert len(sleepers) == 1
    assert ids(func=r"^main\.sleeper$") == sleepers
    assert ids(func=r"main\.go:\d+$") == every - system
    assert len(ids(labels=["worker=grstates"])) == 1
    assert ids(labels=["worker=other"]) == set()
    assert ids(labels=["shard"]) == ids(labels=["worker=grstates", "shard=7"])
    chan = ids(states=["chan receive"])
    assert len(chan) >= 5 and chan <= every


def test_full_mode_matches_the_crash_dump_layout(records: list[dict], tmp_path: Path) -> None:
    text = pyviews.render(records, "full", report.Filter(goids=[], user_only=False))
    parsed = parse_dump(text)
    assert set(parsed) == {g["goid"] for g in records}
    nil = next(g for g in records if g["state"] == "chan receive (nil chan)")
    d = parsed[nil["goid"]]
    assert [f[0] for f in d.frames] == [f["func"] for f in nil["frames"]]
    assert d.created_by and d.created_by[0] == nil["go_statement"]["func"]
    assert "labels: {" in text


def test_depth_cuts_frames(records: list[dict]) -> None:
    text = pyviews.render(records, "full", report.Filter(depth=1))
    assert "frames elided" in text
    for block in parse_dump(text).values():
        assert len(block.frames) <= 1


def test_grouped_buckets_fold_identical_stacks(records: list[dict]) -> None:
    buckets = pyviews.group(pyviews.apply(records, report.Filter(user_only=True)))
    assert sum(b["count"] for b in buckets) == len([g for g in records if g["main_module_frame"]])
    assert buckets[0]["current"]
    big = max(buckets, key=lambda b: b["count"])
    assert big["count"] >= 3 and big["state"] == "chan receive"  # the 3 chanRecv goroutines
    text = pyviews.render(records, "group", report.Filter(user_only=True))
    assert re.search(rf"^{big['count']} goroutines \[chan receive\]: ", text, re.M)


def test_json_is_one_document_with_the_same_fields(records: list[dict]) -> None:
    doc = json.loads(pyviews.render(records, "json", report.Filter()))
    assert [g["goid"] for g in doc["goroutines"]] == [
        g["goid"] for g in pyviews.apply(records, report.Filter())
    ]
    # the records' fields, and how many innermost frames a --depth window left out
    assert set(doc["goroutines"][0]) == set(records[0]) | {"frames_skipped"}
    grouped = json.loads(pyviews.render(records, "json-group", report.Filter()))
    assert sum(b["count"] for b in grouped["buckets"]) == len(records)


def test_cli_arguments_map_to_the_filter() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    report.add_goroutine_commands(sub)
    args = p.parse_args(
        ["goroutines", "b", "c", "-g", "-u", "-s", "sleep", "--func", "x", "-L", "a=b", "-d", "3"]
    )
    flt, mode = report.filter_from_args(args)
    assert mode == "group" and flt.user_only and flt.states == ["sleep"]
    assert flt.func == "x" and flt.labels == ["a=b"] and flt.depth == 3
    assert args.func is report.cmd_goroutines
    # -l is --list here as in wslgo-bt; the modes exclude each other
    assert report.filter_from_args(p.parse_args(["goroutines", "b", "c", "-l"]))[1] == "list"
    with pytest.raises(SystemExit):
        p.parse_args(["goroutines", "b", "c", "-l", "-f"])


def test_unreadable_records_are_listed_not_dropped() -> None:
    recs = [
        {"goid": 0, "error": "cannot read runtime.g at 0xdead0000", "frames": []},
        {"goid": 7, "state": "sleep", "status_name": "waiting", "frames": [], "error": None},
    ]
    out = pyviews.render(recs, "list", report.Filter())
    assert "[unreadable] cannot read runtime.g at 0xdead0000" in out
    assert "7 [sleep]" in out
    assert "1 unreadable" in pyviews.summary(recs)


def test_native_list_equals_format_list_on_every_go(go_version: str, tmp_path: Path) -> None:
    """Same comparison on each Go release's own core (layouts, wait reasons and the
    user-frame stop differ between releases), for the optimised build."""
    binary = build("grstates", go_version, "opt")
    core, dumped = crash_core(binary, tmp_path)
    tgt = _native.Core(binary, core)
    records = tgt.goroutines()
    for flt in (report.Filter(), report.Filter(func=r"^main\.", user_only=True)):
        got, _ = native_list(tgt, flt)
        assert got["text"] == pyviews.format_list(pyviews.apply(records, flt))
    listed = {
        int(ln[1:].split()[0]) for ln in native_list(tgt, report.Filter())[0]["text"].splitlines()
    }
    assert set(dumped) <= listed


@pytest.fixture(scope="module")
def snap(target: _native.Core) -> _native.Snapshot:
    return target.snapshot()


@pytest.mark.parametrize(
    "flt",
    [
        report.Filter(),
        report.Filter(depth=2),
        report.Filter(depth=2, top=True),
        report.Filter(user_only=True, depth=0),
        report.Filter(func=r"^main\.", states=["chan"]),
        report.Filter(labels=["shard"]),
    ],
    ids=repr,
)
@pytest.mark.parametrize("style", [report.PLAIN, Brackets()], ids=["plain", "styled"])
def test_snapshot_views_equal_the_record_formatters(
    snap: _native.Snapshot, records: list[dict], flt: report.Filter, style: report.Style
) -> None:
    """Every text view of the native snapshot is the same bytes as the formatters over the
    records of the same goroutines."""
    shown = pyviews.apply(records, flt)
    want = {
        "list": pyviews.format_list(shown, style, top=flt.top),
        "full": pyviews.format_full(shown, flt.depth, style, top=flt.top),
        "group": pyviews.format_grouped(shown, flt.depth, style, top=flt.top),
    }
    for mode, text in want.items():
        assert report.render_native(snap, mode, flt, style)["text"] == text, mode


def test_json_and_json_lines_carry_the_same_goroutines(
    snap: _native.Snapshot, records: list[dict]
) -> None:
    flt = report.Filter(depth=3)
    compact = report.render_native(snap, "json", flt)["text"]
    assert "\n" not in compact
    pretty = report.render_native(snap, "json", flt, pretty=True)["text"]
    assert pretty.startswith('{\n "goroutines": [\n  {\n   "goid": ')
    lines = report.render_native(snap, "jsonl", flt)["text"].splitlines()
    doc = json.loads(compact)["goroutines"]
    assert json.loads(pretty)["goroutines"] == doc
    assert [json.loads(ln) for ln in lines] == doc
    want = pyviews.apply(records, flt)
    assert [g["goid"] for g in doc] == [g["goid"] for g in want]
    for got, rec in zip(doc, want):
        # three frames from the user frame, the innermost ones before it counted
        # JSON leaves out the fields at their zero value (Go's omitempty)
        skipped, frames = pyviews.window(rec, 3)
        assert got["frames"] == [{k: v for k, v in f.items() if v is not False} for f in frames]
        assert got.get("frames_skipped", 0) == skipped
        assert got["state"] == rec["state"] and got.get("labels", {}) == rec["labels"]
        assert "current" not in got or got["current"] is True
        assert "thread_id" not in got or got["thread_id"] == rec["thread_id"]
    buckets = json.loads(report.render_native(snap, "json-group", report.Filter())["text"])
    assert [b["goids"] for b in buckets["buckets"]] == [
        b["goids"] for b in pyviews.group(pyviews.apply(records, report.Filter()))
    ]


def test_streamed_output_is_the_same_text(snap: _native.Snapshot) -> None:
    chunks: list[str] = []
    got = report.render_native(snap, "full", report.Filter(), write=chunks.append)
    assert got["text"] == "" and chunks
    assert "".join(chunks) == report.render_native(snap, "full", report.Filter())["text"]


def test_a_writer_that_raises_ends_the_streamed_output(snap: _native.Snapshot) -> None:
    # The text is made on a second thread while this one writes it: the error of a writer
    # that raises (gdb's pagination `q`, Ctrl-C) comes back, and nothing is written after.
    got: list[str] = []

    def write(chunk: str) -> None:
        got.append(chunk)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        report.render_native(snap, "json", report.Filter(), pretty=True, write=write)
    assert len(got) == 1
    whole = report.render_native(snap, "json", report.Filter(), pretty=True)["text"]
    assert whole.startswith(got[0])


def test_the_stop_context_snapshot_reads_only_the_current_stack(target: _native.Core) -> None:
    light = target.snapshot(scope="current")
    full = target.snapshot()
    assert light.scope == "current" and light.summary() == full.summary()
    cur, want = light.current(), full.current()
    assert cur is not None and want is not None
    assert cur["frames"] == want["frames"]
    assert all(
        not g["frames"]
        for g in json.loads(light.render(_native.View("json"))["text"])["goroutines"]
        if not g.get("current")
    )
    brief = light.brief(2)
    assert brief.startswith(f"goroutine {cur['goid']} [")
    assert brief.endswith(
        f"{full.summary()}: `wslgo-bt` for a summary of the others, `wslgo-bt all` for every stack"
    )


@pytest.mark.parametrize(
    "blocked_in",
    ["mutexWait", "wgWait", "pipeRead", "tcpRead", "sleeper", "selectTwo"],
)
def test_the_user_location_is_the_fixtures_own_function(
    snap: _native.Snapshot, records: list[dict], blocked_in: str
) -> None:
    """Goroutines blocked in sync.Mutex, sync.WaitGroup, an os.File read, net.Pipe and TCP
    reads, time.Sleep and select are shown at the fixture's function, not at
    internal/sync or internal/poll; --top shows the innermost frame."""
    name = f"main.{blocked_in}"
    ids = [g["goid"] for g in records if any(f["func"] == name for f in g["frames"])]
    assert ids, name
    for goid in ids:
        g = snap.goroutine(goid)
        assert g is not None and pyviews.user_frame(g)["func"] == name  # type: ignore[arg-type]
        line = report.render_native(snap, "list", report.Filter(goids=[goid]))["text"]
        assert f"] {name} at " in line, line
        top = report.render_native(snap, "list", report.Filter(goids=[goid], top=True))["text"]
        assert f"] {g['frames'][0]['func']} at " in top, top


def test_min_wait_and_the_core_clock(snap: _native.Snapshot, records: list[dict]) -> None:
    """--min-wait keeps only goroutines whose wait start the runtime recorded (none here:
    no collection ran), and a core's wait times are relative to its newest timestamp."""
    assert all(g["waitsince"] == 0 for g in records)
    got = report.render_native(snap, "list", report.Filter(min_wait=1), now=10**12)
    assert got["shown"] == 0 and got["text"] == ""
    plain = report.render_native(snap, "list", report.Filter())
    assert not plain["relative"]  # nothing to be relative to
    assert report.summary_line(snap, plain) == snap.summary()
    assert report.parse_duration("1h30m") == 90 * 60 * 10**9
    assert report.parse_duration("90s") == 90 * 10**9
    with pytest.raises(argparse.ArgumentTypeError):
        report.parse_duration("5 minutes")


def _stub_keys(cls: str) -> set[str]:
    """The keys a TypedDict of _native.pyi declares."""
    stub = ast.parse((Path(_native.__file__).parent / "_native.pyi").read_text())
    node = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == cls)
    return {
        n.target.id
        for n in node.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }


def test_stub_keys_are_the_records_keys(target: _native.Core, records: list[dict]) -> None:
    """_native.pyi's GoroutineDict, FrameDict and GoStatementDict name exactly the keys the
    engine's records have (and the snapshot's dicts are the same records)."""
    assert all(set(g) == _stub_keys("GoroutineDict") for g in records)
    frames = [f for g in records for f in g["frames"]]
    assert frames and all(set(f) == _stub_keys("FrameDict") for f in frames)
    stmts = [g["go_statement"] for g in records if g["go_statement"]]
    assert stmts and all(set(s) == _stub_keys("GoStatementDict") for s in stmts)
    current = target.snapshot().current()
    assert current is not None and set(current) == _stub_keys("GoroutineDict")
