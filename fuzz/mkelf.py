#!/usr/bin/env python3
"""Write small ELF seeds for the elf_open fuzz target: a minimal x86-64 executable around a
pclntab (e.g. the synthetic table from `seeds.sh`), with .text, .go.buildinfo and section
headers; and the same file without section headers (e_shoff = e_shnum = 0), which makes
Pclntab::new find the table by magic in the PT_LOAD segment.

    python3 mkelf.py TABLE OUT_DIR
"""

import struct
import sys
from pathlib import Path


def buildinfo(version: str) -> bytes:
    def s(b: bytes) -> bytes:
        out = bytearray()
        n = len(b)
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
        return bytes(out) + b
    head = b"\xff Go buildinf:" + bytes([8, 2])
    head += b"\0" * (32 - len(head))
    mod = b"0" * 16 + b"path\tmain\nbuild\t-ldflags=-s -w\n" + b"1" * 16
    return head + s(version.encode()) + s(mod)


def elf(table: bytes, headers: bool = True) -> bytes:
    base = 0x400000
    text = b"\xcc" * 0x100
    binfo = buildinfo("go1.21.13")
    # Section payloads at page-ish offsets so vaddr = base + file offset.
    layout = [(".text", 0x1000, text, 6), (".gopclntab", 0x2000, table, 2)]
    off = 0x2000 + ((len(table) + 0xFFF) & ~0xFFF)
    layout.append((".go.buildinfo", off, binfo, 3))
    shstr = b"\0" + b"".join(n.encode() + b"\0" for n, *_ in layout) + b".shstrtab\0"
    end = off + len(binfo)
    shstr_off = end
    sh_off = (shstr_off + len(shstr) + 7) & ~7
    nsec = len(layout) + 2
    data = bytearray(sh_off + nsec * 64)
    for _, o, payload, _ in layout:
        data[o : o + len(payload)] = payload
    data[shstr_off : shstr_off + len(shstr)] = shstr
    e_ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    data[0:64] = e_ident + struct.pack(
        "<HHIQQQIHHHHHH",
        2, 0x3E, 1, base + 0x1000, 64,
        sh_off if headers else 0, 0, 64, 56, 1, 64,
        nsec if headers else 0, nsec - 1 if headers else 0,
    )
    # One PT_LOAD (RWX for simplicity) mapping the whole file at `base`.
    data[64:120] = struct.pack("<IIQQQQQQ", 1, 7, 0, base, base, end, end, 0x1000)
    sh = bytearray(64)  # null section
    name_off = 1
    for name, o, payload, flags in layout:
        sh += struct.pack("<IIQQQQIIQQ", name_off, 1, flags, base + o, o, len(payload), 0, 0, 1, 0)
        name_off += len(name) + 1
    sh += struct.pack("<IIQQQQIIQQ", name_off, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    data[sh_off : sh_off + len(sh)] = sh
    return bytes(data)


def main() -> None:
    table = Path(sys.argv[1]).read_bytes()
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(sys.argv[1]).stem
    (out / f"mini-{stem}.elf").write_bytes(elf(table))
    (out / f"mini-{stem}-noshdr.elf").write_bytes(elf(table, headers=False))


if __name__ == "__main__":
    main()
