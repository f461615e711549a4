"""A tiny profile.proto reader for the tests (no protobuf dependency): a gzipped goroutine
profile as its samples, each (count, stack of locations as (function, line) tuples,
innermost first, labels)."""

from __future__ import annotations

import gzip
from collections import Counter
from typing import Union

Field = Union[int, bytes]
Stack = tuple[tuple[tuple[str, int], ...], ...]
Key = tuple[Stack, frozenset[tuple[str, str]]]


def _varint(b: bytes, i: int) -> tuple[int, int]:
    v = shift = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        if x < 0x80:
            return v, i
        shift += 7


def fields(b: bytes) -> list[tuple[int, Field]]:
    """The (field number, varint or bytes) of one message, in order."""
    out: list[tuple[int, Field]] = []
    i = 0
    while i < len(b):
        k, i = _varint(b, i)
        if k & 7 == 0:
            v, i = _varint(b, i)
            out.append((k >> 3, v))
        elif k & 7 == 2:
            n, i = _varint(b, i)
            out.append((k >> 3, b[i : i + n]))
            i += n
        else:
            raise ValueError(f"wire type {k & 7}")
    return out


def _ints(fs: list[tuple[int, Field]], n: int) -> list[int]:
    out: list[int] = []
    for k, v in fs:
        if k != n:
            continue
        if isinstance(v, int):
            out.append(v)
        else:  # packed
            i = 0
            while i < len(v):
                x, i = _varint(v, i)
                out.append(x)
    return out


def _msgs(fs: list[tuple[int, Field]], n: int) -> list[list[tuple[int, Field]]]:
    return [fields(v) for k, v in fs if k == n and isinstance(v, bytes)]


def _one(fs: list[tuple[int, Field]], n: int) -> int:
    got = _ints(fs, n)
    return got[0] if got else 0


def decode(data: bytes) -> tuple[dict[str, object], Counter[Key]]:
    """The profile's header (types, period, time, functions, mappings) and its samples as
    a Counter of (stack, labels) -> count."""
    top = fields(gzip.decompress(data))
    strings = [v.decode() for k, v in top if k == 6 and isinstance(v, bytes)]
    s = strings.__getitem__
    funcs = {
        _one(f, 1): (s(_one(f, 2)), s(_one(f, 3)), s(_one(f, 4)), _one(f, 5)) for f in _msgs(top, 5)
    }
    locs = {
        _one(loc, 1): tuple((funcs[_one(ln, 1)][0], _one(ln, 2)) for ln in _msgs(loc, 4))
        for loc in _msgs(top, 4)
    }
    samples: Counter[Key] = Counter()
    for sm in _msgs(top, 2):
        stack = tuple(locs[i] for i in _ints(sm, 1))
        labels = frozenset((s(_one(lb, 1)), s(_one(lb, 2))) for lb in _msgs(sm, 3))
        samples[(stack, labels)] += sum(_ints(sm, 2))
    vt = [(s(_one(m, 1)), s(_one(m, 2))) for n in (1, 11) for m in _msgs(top, n)]
    header: dict[str, object] = {
        "types": vt,
        "period": _one(top, 12),
        "time_nanos": _one(top, 9),
        "functions": funcs,
        "mappings": _msgs(top, 3),
    }
    return header, samples
