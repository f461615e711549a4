"""A Python formatter of goroutine dicts (``GoTarget.goroutines()``): the list, full,
grouped and JSON views written again from the records, independently of the native
views, so that tests can compare the two byte for byte. No product code uses it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from wslgo.report import PLAIN, Filter, Style
from wslgo.text import esc

Record = dict[str, Any]


def plural(n: int, word: str) -> str:
    """``1 frame``, ``2 frames``."""
    return f"{n} {word if n == 1 else word + 's'}"


def short_path(path: str) -> str:
    """Trim GOROOT-like prefixes: keep from `src/` of a Go tree, else the last 3 parts."""
    i = path.rfind("/go/src/")
    if i >= 0:
        return path[i + len("/go/src/") :]
    parts = path.split("/")
    return "/".join(parts[-3:]) if len(parts) > 3 else path


def user_frame(g: Record) -> Record | None:
    """The frame a goroutine's line names: its user frame, else its innermost."""
    i = g.get("user_frame")
    fr = g.get("frames") or []
    if i is not None and 0 <= i < len(fr):
        return fr[i]  # type: ignore[no-any-return]
    return fr[0] if fr else None


def _wrap(st: Style, key: str, s: str) -> str:
    """``s`` with the style's affixes for ``key`` ("func", "file", "addr") around it, as
    the native views put them (never around an empty name)."""
    pre, post = st.affixes().get(key, ("", ""))
    return f"{pre}{s}{post}" if s else s


def matches(flt: Filter, g: Record) -> bool:
    """Whether ``flt`` keeps ``g`` (the native list view's filter, on a dict)."""
    if flt.goids and g.get("goid") not in flt.goids:
        return False
    if flt.user_only and not g.get("main_module_frame"):
        return False
    if flt.states:
        hay = f"{g.get('state', '')} {g.get('status_name', '')}".lower()
        if not any(s.lower() in hay for s in flt.states):
            return False
    if flt.waits:
        wr = str(g.get("wait_reason") or "").lower()
        if not any(w.lower() in wr for w in flt.waits):
            return False
    if flt.func:
        rx = re.compile(flt.func)
        if not any(
            rx.search(f["func"]) or rx.search(f"{f['file']}:{f['line']}")
            for f in g.get("frames", [])
        ):
            return False
    if flt.labels:
        have: dict[str, str] = g.get("labels") or {}
        for kv in flt.labels:
            k, sep, v = kv.partition("=")
            if k not in have or (sep and have[k] != v):
                return False
    return True


def apply(gs: Iterable[Record], flt: Filter) -> list[Record]:
    """Filter and order: the current goroutine first, then by goid."""
    out = [g for g in gs if matches(flt, g)]
    out.sort(key=lambda g: (not g.get("current"), g.get("goid", 0)))
    return out


def window(g: Record, depth: int | None, top: bool = False) -> tuple[int, list[Record]]:
    """(frames folded away, frames shown) of ``g`` with ``depth``: ``depth`` frames from
    the user frame (from the innermost with ``top`` or without a user frame); every frame
    without a depth. The native views' ``snapshot::window``."""
    fr = list(g.get("frames") or [])
    if depth is None:
        return 0, fr
    start = 0 if top or depth == 0 else g.get("user_frame") or 0
    if start >= len(fr):
        start = 0
    return start, fr[start : start + depth]


def fold_text(folded: Sequence[Record]) -> str:
    """`...2 frames folded: runtime.gopark, runtime.chanrecv1...` (first ... last when more)."""
    names = [esc(f["func"]) for f in folded]
    if not names:
        return ""
    shown = ", ".join(names) if len(names) <= 2 else f"{names[0]} ... {names[-1]}"
    return f"...{plural(len(names), 'frame')} folded: {shown}..."


def _frames(g: Record, depth: int | None, top: bool = False) -> list[Record]:
    return window(g, depth, top)[1]


def _loc(f: Record | None, st: Style = PLAIN) -> str:
    if not f:
        return "?"
    func, file = _wrap(st, "func", esc(f["func"])), _wrap(st, "file", esc(short_path(f["file"])))
    return f"{func} at {file}:{f['line']}"


def state_text(g: Record) -> str:
    """The bracketed state as runtime.Stack prints it, plus our extras."""
    if g.get("error"):
        return "unreadable"
    parts = [g.get("state") or g.get("status_name") or "?"]
    if g.get("locked_to_thread"):
        parts.append("locked to thread")
    return ", ".join(parts)


def format_list(gs: Sequence[Record], st: Style = PLAIN, top: bool = False) -> str:
    """One line per goroutine: marker, id, state, user location, extras. The CLI and
    `wslgo-bt -l` use the native list view, whose text is the same byte for byte
    (tests/py/test_goroutines_report.py compares them on real cores)."""
    lines = []
    for g in gs:
        mark = "*" if g.get("current") else " "
        if g.get("error"):
            lines.append(f"{mark} {g.get('goid', 0):>6} [unreadable] {esc(g['error'])}")
            continue
        extras = []
        if g.get("thread_id"):
            extras.append(f"thread {g['thread_id']}")
        if g.get("system"):
            extras.append("system")
        if g.get("labels"):
            extras.append(" ".join(f"{esc(k)}={esc(v)}" for k, v in sorted(g["labels"].items())))
        tail = f"  ({', '.join(extras)})" if extras else ""
        fr = (g.get("frames") or [None])[0] if top else user_frame(g)
        lines.append(f"{mark} {g['goid']:>6} [{esc(state_text(g))}] {_loc(fr, st)}{tail}")
    return "\n".join(lines)


def _frame_lines(f: Record, st: Style = PLAIN) -> list[str]:
    args = "(...)" if f.get("inlined") else "()"
    off = ""
    if not f.get("inlined") and f.get("entry") and f.get("pc", 0) >= f["entry"]:
        off = f" +{f['pc'] - f['entry']:#x}"
    func, file = _wrap(st, "func", esc(f["func"])), _wrap(st, "file", esc(f["file"]))
    return [f"{func}{args}", f"\t{file}:{f['line']}{_wrap(st, 'addr', off)}"]


def format_full(
    gs: Sequence[Record], depth: int | None = None, st: Style = PLAIN, top: bool = False
) -> str:
    """runtime.Stack-like blocks: header, frames, `created by`."""
    blocks = []
    for g in gs:
        lines = [f"goroutine {g.get('goid', 0)} [{esc(state_text(g))}]:"]
        if g.get("error"):
            lines.append(f"\t(unreadable: {esc(g['error'])})")
            blocks.append("\n".join(lines))
            continue
        skipped, fr = window(g, depth, top)
        if skipped:
            lines.append(fold_text(g["frames"][:skipped]))
        for f in fr:
            lines += _frame_lines(f, st)
        after = len(g.get("frames") or []) - skipped - len(fr)
        if depth is not None and after > 0:
            lines.append(f"...{plural(after, 'frame')} elided...")
        if g.get("truncated"):
            lines.append("...stack truncated (depth limit)...")
        if g.get("stack_error"):
            lines.append(f"\t(unwind stopped: {esc(g['stack_error'])})")
        created = created_by(g)
        if created:
            parent = g.get("parent_goid")
            who = f" in goroutine {parent}" if parent else ""
            lines.append(f"created by {_wrap(st, 'func', esc(created['func']))}{who}")
            lines.append(f"\t{_wrap(st, 'file', esc(created['file']))}:{created['line']}")
        if g.get("labels"):
            labels = ", ".join(f'"{esc(k)}":"{esc(v)}"' for k, v in sorted(g["labels"].items()))
            lines.append(f"labels: {{{labels}}}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def created_by(g: Record) -> Record | None:
    """The `go` statement that started ``g`` ({func, file, line, pc}), None for the main
    goroutine (the runtime prints none for it either) and for unknown ones."""
    go = g.get("go_statement")
    if go and go.get("func") and g.get("goid") != 1:
        return dict(go)
    return None


def group(gs: Sequence[Record], depth: int | None = None, top: bool = False) -> list[Record]:
    """Fold goroutines with the same state, frames (func, file:line; with a depth, down to
    the end of the window) and `go` statement into buckets: {state, frames, created_by,
    goids, count, current, user_frame, frames_skipped}; the current goroutine's bucket
    first, then by size, then by smallest goid."""
    buckets: dict[tuple[Any, ...], Record] = {}
    for g in gs:
        skipped, fr = window(g, depth, top)
        created = created_by(g)
        uf = g.get("user_frame")
        key = (
            state_text(g) if not g.get("error") else f"unreadable: {g['error']}",
            tuple((f["func"], f["file"], f["line"]) for f in g.get("frames", [])[:skipped] + fr),
            (created["func"], created["file"], created["line"]) if created else None,
        )
        b = buckets.setdefault(
            key,
            {
                "state": key[0],
                "frames": fr,
                "created_by": created,
                "goids": [],
                "current": False,
                # same frames, same first frame outside the runtime
                "user_frame": uf - skipped if uf is not None and uf >= skipped else None,
                "frames_skipped": skipped,
                "folded": g.get("frames", [])[:skipped],
            },
        )
        b["goids"].append(g.get("goid", 0))
        b["current"] = b["current"] or bool(g.get("current"))
    out = list(buckets.values())
    for b in out:
        b["goids"].sort()
        b["count"] = len(b["goids"])
    out.sort(key=lambda b: (not b["current"], -b["count"], b["goids"][0] if b["goids"] else 0))
    return out


def _ids(ids: list[int], limit: int = 12) -> str:
    s = ", ".join(str(i) for i in ids[:limit])
    return s + (f", ... ({len(ids) - limit} more)" if len(ids) > limit else "")


def format_grouped(
    gs: Sequence[Record], depth: int | None = None, st: Style = PLAIN, top: bool = False
) -> str:
    """panicparse-like buckets: `N goroutines [state]: ids` then the shared frames."""
    blocks = []
    for b in group(gs, depth, top):
        n = b["count"]
        mark = "* " if b["current"] else ""
        head = f"{mark}{plural(n, 'goroutine')} [{esc(b['state'])}]: {_ids(b['goids'])}"
        lines = [head]
        if b["folded"]:
            lines.append(f"    {fold_text(b['folded'])}")
        for f in b["frames"]:
            func, file = (
                _wrap(st, "func", esc(f["func"])),
                _wrap(st, "file", esc(short_path(f["file"]))),
            )
            lines.append(f"    {func}  {file}:{f['line']}")
        created = b.get("created_by")
        if created:
            where = f"{esc(short_path(created['file']))}:{created['line']}"
            func = _wrap(st, "func", esc(created["func"]))
            lines.append(f"    created by {func}  {_wrap(st, 'file', where)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def to_json(
    gs: Sequence[Record], grouped: bool = False, depth: int | None = None, top: bool = False
) -> str:
    """One JSON document with the same fields as the records (frames: the window of
    ``depth``, ``user_frame`` indexing them, ``frames_skipped`` the innermost left out)."""
    if grouped:
        buckets = [{k: v for k, v in b.items() if k != "folded"} for b in group(gs, depth, top)]
        doc: Record = {"buckets": buckets}
    else:
        doc = {"goroutines": [_json_record(g, depth, top) for g in gs]}
    return json.dumps(doc, indent=1, sort_keys=True)


def _json_record(g: Record, depth: int | None, top: bool) -> Record:
    skipped, fr = window(g, depth, top)
    uf = g.get("user_frame")
    adjusted = uf - skipped if uf is not None and uf >= skipped else None
    return dict(g, frames=fr, frames_skipped=skipped, user_frame=adjusted)


def render(gs: Sequence[Record], mode: str, flt: Filter) -> str:
    """Filter then format: mode is list, full, group or json (json-group)."""
    shown = apply(gs, flt)
    if mode == "full":
        return format_full(shown, flt.depth, top=flt.top)
    if mode == "group":
        return format_grouped(shown, flt.depth, top=flt.top)
    if mode == "json":
        return to_json(shown, depth=flt.depth, top=flt.top)
    if mode == "json-group":
        return to_json(shown, grouped=True, depth=flt.depth, top=flt.top)
    return format_list(shown, top=flt.top)


def summary(gs: Sequence[Record]) -> str:
    """`N goroutines (M system, K unreadable)`."""
    sys_n = sum(1 for g in gs if g.get("system"))
    bad = sum(1 for g in gs if g.get("error"))
    return summary_of(len(gs), sys_n, bad)


def summary_of(total: int, system: int, unreadable: int) -> str:
    """The summary line from counts."""
    extra = [f"{system} system"]
    if unreadable:
        extra.append(f"{unreadable} unreadable")
    return f"{plural(total, 'goroutine')} ({', '.join(extra)})"
