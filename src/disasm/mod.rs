//! Runtime variables of binaries without `.symtab` or DWARF (`-ldflags='-s -w'`).
//!
//! The pclntab still names every function, so the code of runtime functions that use a
//! variable tells where it is: the data addresses their instructions reference. amd64 is
//! decoded with iced-x86 (RIP-relative operands); arm64 by following `ADRP` + `ADD`/`LDR`/
//! `STR` pairs, the only instruction forms Go's linker uses to address globals there.
//!
//! What is found, and from where:
//! - `runtime.allgs`: the slice whose pointer, len and cap words (`X`, `X+p`, `X+2p`) are
//!   all referenced by `runtime.allgadd` (the `append`); else `X` and `X+p` in
//!   `runtime.forEachG` (the range loop);
//! - `runtime.allglen`: the last word `runtime.allgadd` stores atomically (`XCHG` / `STLR`);
//! - `runtime.traceback_cache`: the word `runtime.setTraceback` (linknamed
//!   `runtime/debug.SetTraceback`) stores atomically, checked
//!   against its static initial value (`2 << tracebackShift`);
//! - `runtime.traceback_env`: the zero-initialized word that function reads last before
//!   that store (`t |= traceback_env`);
//! - `runtime.mainStarted`: the one byte `runtime.main` stores and the closure of
//!   `runtime.newproc` (`runtime.newproc.func1`) loads (`if mainStarted { wakep() }`);
//! - `runtime.waitReasonStrings`: the `[...]string` in the data whose entry 0 is `""` and
//!   entry 1 is `"GC assist marking"` (waitReasonZero and waitReasonGCAssistMarking, the
//!   same on every supported release), as long as the entries read as wait reasons;
//! - `runtime.mheap_`: the one zero-initialized address `runtime.(*mcentral).grow` forms
//!   (`mheap_.alloc(...)`'s receiver) that `runtime.mallocinit` also forms (`mheap_.init()`);
//!   its size is not known here (0);
//! - `runtime.allp`: the slice both `runtime.preemptall` and `runtime.gcMarkTinyAllocs`
//!   range over (`for _, pp := range allp`), their only data: its pointer word, and its
//!   length word unless an arm64 `LDP` reads both;
//! - `runtime.allm`: the word `runtime.mcommoninit` both loads (`mp.alllink = allm`) and
//!   stores atomically (`atomicstorep(&allm, mp)`);
//! - `runtime.types`, `runtime.etypes`: `moduledata.types` and `.etypes` of
//!   runtime.firstmoduledata (found by the pclntab reader from the data).

use crate::binary::{Arch, Binary};
use crate::pclntab::Pclntab;

/// A runtime variable found without a symbol table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Link-time address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// How it was found (one phrase, for `wslgo info`).
    pub how: &'static str,
}

/// The variables [`locate`] knows how to find.
pub const LOCATABLE: &[&str] = &[
    "runtime.allgs",
    "runtime.allglen",
    "runtime.traceback_cache",
    "runtime.traceback_env",
    "runtime.mainStarted",
    "runtime.waitReasonStrings",
    "runtime.semtable",
    "runtime.mheap_",
    "runtime.allp",
    "runtime.allm",
    "runtime.types",
    "runtime.etypes",
];

/// Number of `runtime.semtable` roots (`semTabSize`).
const SEM_TAB_SIZE: u64 = crate::runtime::waits_layout::SEM_TAB_SIZE;

/// Initial value of `runtime.traceback_cache` (`2 << tracebackShift`, GOTRACEBACK=single).
const TRACEBACK_CACHE_INIT: u32 = 2 << 2;

/// One data reference of an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ref {
    addr: u64,
    /// The instruction stores atomically (amd64 `XCHG`, arm64 `STLR`/`SWPAL`).
    atomic_store: bool,
    /// Bytes a plain load or store moves (0: an address formed, or an access not classified).
    size: u8,
    /// A plain store (amd64 `MOV` to memory, arm64 `STR*`).
    store: bool,
}

impl Ref {
    /// An address formed or accessed, nothing more known.
    fn at(addr: u64, atomic_store: bool) -> Self {
        Ref {
            addr,
            atomic_store,
            size: 0,
            store: false,
        }
    }
}

/// Find runtime variable `name` (one of [`LOCATABLE`]) from code and data; `None` when the
/// functions or patterns are not there.
pub fn locate(bin: &Binary, pcln: &Pclntab, name: &str) -> Option<Located> {
    let p = bin.ptr_size() as u64;
    match name {
        "runtime.allgs" => {
            let slice_in = |func: &str, words: u64| {
                let refs = func_refs(bin, pcln, func)?;
                let addrs: Vec<u64> = refs.iter().map(|r| r.addr).collect();
                let mut found: Vec<u64> = addrs
                    .iter()
                    .copied()
                    .filter(|&x| in_bss(bin, x) && (1..words).all(|k| addrs.contains(&(x + k * p))))
                    .collect();
                found.sort_unstable();
                found.dedup();
                (found.len() == 1).then(|| found[0])
            };
            let (addr, how) = match slice_in("runtime.allgadd", 3) {
                Some(a) => (a, "from the code of runtime.allgadd"),
                None => (
                    slice_in("runtime.forEachG", 2)?,
                    "from the code of runtime.forEachG",
                ),
            };
            Some(Located {
                addr,
                size: 3 * p,
                how,
            })
        }
        "runtime.allglen" => {
            let refs = func_refs(bin, pcln, "runtime.allgadd")?;
            let allgs = locate(bin, pcln, "runtime.allgs").map(|l| l.addr);
            // Its store is the last atomic one (after allgptr's).
            let addr = refs
                .iter()
                .rev()
                .find(|r| r.atomic_store && Some(r.addr) != allgs && in_bss(bin, r.addr))?
                .addr;
            Some(Located {
                addr,
                size: p,
                how: "from the code of runtime.allgadd",
            })
        }
        "runtime.traceback_cache" => {
            // Linknamed: the pclntab names it runtime/debug.SetTraceback.
            let refs = func_refs(bin, pcln, "runtime/debug.SetTraceback")
                .or_else(|| func_refs(bin, pcln, "runtime.setTraceback"))?;
            let addr = single(
                refs.iter()
                    .filter(|r| {
                        r.atomic_store && read_u32(bin, r.addr) == Some(TRACEBACK_CACHE_INIT)
                    })
                    .map(|r| r.addr),
            )?;
            Some(Located {
                addr,
                size: 4,
                how: "from the code of runtime/debug.SetTraceback",
            })
        }
        "runtime.traceback_env" => {
            // setTraceback ORs traceback_env into the level just before storing it.
            let cache = locate(bin, pcln, "runtime.traceback_cache")?.addr;
            let refs = func_refs(bin, pcln, "runtime/debug.SetTraceback")
                .or_else(|| func_refs(bin, pcln, "runtime.setTraceback"))?;
            let store = refs
                .iter()
                .position(|r| r.atomic_store && r.addr == cache)?;
            let addr = refs[..store]
                .iter()
                .rev()
                .find(|r| !r.atomic_store && r.addr != cache && in_bss(bin, r.addr))?
                .addr;
            Some(Located {
                addr,
                size: 4,
                how: "from the code of runtime/debug.SetTraceback",
            })
        }
        "runtime.mainStarted" => {
            // `mainStarted = true` in runtime.main; `if mainStarted` in newproc's closure.
            let stored = func_refs(bin, pcln, "runtime.main")?;
            let loaded = func_refs(bin, pcln, "runtime.newproc.func1")?;
            let addr = single(
                loaded
                    .iter()
                    .filter(|r| r.size == 1 && !r.store && writable(bin, r.addr))
                    .filter(|r| {
                        stored
                            .iter()
                            .any(|s| s.addr == r.addr && s.size == 1 && s.store)
                    })
                    .map(|r| r.addr),
            )?;
            Some(Located {
                addr,
                size: 1,
                how: "from the code of runtime.main and runtime.newproc",
            })
        }
        "runtime.waitReasonStrings" => wait_reason_table(bin),
        "runtime.semtable" => {
            // `semtable.rootFor(addr)`, inlined in both, forms the table's address.
            let addr = formed_in_both(bin, pcln, "runtime.semacquire1", "runtime.semrelease1")?;
            // [semTabSize]struct{root semaRoot; pad}, each root padded to
            // cpu.CacheLinePadSize.
            let pad = crate::runtime::waits_layout::cache_line_pad(bin.arch());
            Some(Located {
                addr,
                size: SEM_TAB_SIZE * pad,
                how: "from the code of runtime.semacquire1 and runtime.semrelease1",
            })
        }
        "runtime.mheap_" => {
            let addr = formed_in_both(bin, pcln, "runtime.(*mcentral).grow", "runtime.mallocinit")?;
            Some(Located {
                addr,
                size: 0,
                how: "from the code of runtime.(*mcentral).grow and runtime.mallocinit",
            })
        }
        "runtime.allp" => {
            let a = func_refs(bin, pcln, "runtime.preemptall")?;
            let b = func_refs(bin, pcln, "runtime.gcMarkTinyAllocs")?;
            let data = |refs: &[Ref]| -> Option<Vec<u64>> {
                let mut v: Vec<u64> = refs
                    .iter()
                    .filter(|r| writable(bin, r.addr))
                    .map(|r| r.addr)
                    .collect();
                v.sort_unstable();
                v.dedup();
                Some(v).filter(|v| !v.is_empty())
            };
            let (da, db) = (data(&a)?, data(&b)?);
            let addr = da[0];
            let words = |v: &[u64]| v.iter().all(|&x| x == addr || x == addr + p);
            if da != db || !words(&da) || !in_bss(bin, addr) {
                return None;
            }
            Some(Located {
                addr,
                size: 3 * p,
                how: "from the code of runtime.preemptall and runtime.gcMarkTinyAllocs",
            })
        }
        "runtime.allm" => {
            let refs = func_refs(bin, pcln, "runtime.mcommoninit")?;
            let addr = single(
                refs.iter()
                    .filter(|r| r.atomic_store && in_bss(bin, r.addr))
                    .filter(|r| {
                        refs.iter()
                            .any(|x| x.addr == r.addr && u64::from(x.size) == p && !x.store)
                    })
                    .map(|r| r.addr),
            )?;
            Some(Located {
                addr,
                size: p,
                how: "from the code of runtime.mcommoninit",
            })
        }
        "runtime.types" | "runtime.etypes" => {
            let (types, etypes) = pcln.types_range()?;
            Some(Located {
                addr: if name == "runtime.types" {
                    types
                } else {
                    etypes
                },
                size: 0,
                how: "from runtime.firstmoduledata",
            })
        }
        _ => None,
    }
}

/// The one distinct value of `it`, if exactly one.
/// The one zero-initialized global whose address both functions `a` and `b` form (an
/// address taken, not a load or store through it).
fn formed_in_both(bin: &Binary, pcln: &Pclntab, a: &str, b: &str) -> Option<u64> {
    let (ra, rb) = (func_refs(bin, pcln, a)?, func_refs(bin, pcln, b)?);
    let formed = |r: &Ref| r.size == 0 && !r.store && !r.atomic_store && in_bss(bin, r.addr);
    single(
        ra.iter()
            .filter(|r| formed(r))
            .filter(|r| rb.iter().any(|x| x.addr == r.addr && formed(x)))
            .map(|r| r.addr),
    )
}

fn single(it: impl Iterator<Item = u64>) -> Option<u64> {
    let mut v: Vec<u64> = it.collect();
    v.sort_unstable();
    v.dedup();
    (v.len() == 1).then(|| v[0])
}

/// True when `addr` is zero-initialized data (`.bss`, `.noptrbss`): in a loaded segment,
/// past the bytes the file holds for it.
fn in_bss(bin: &Binary, addr: u64) -> bool {
    bin.segments()
        .iter()
        .any(|s| s.addr + s.file_range.1 <= addr && addr < s.addr + s.size)
}

/// True when `addr` is in writable data (`.data`, `.noptrdata`, `.bss`, `.noptrbss`; the
/// linker puts an initialized-false bool in either kind).
fn writable(bin: &Binary, addr: u64) -> bool {
    in_bss(bin, addr)
        || bin.sections().iter().any(|s| {
            matches!(s.name.as_str(), ".data" | ".noptrdata")
                && s.addr <= addr
                && addr < s.addr + s.size
        })
}

fn read_u32(bin: &Binary, addr: u64) -> Option<u32> {
    let b = bin.read_vaddr(addr, 4)?;
    let b: [u8; 4] = b.try_into().ok()?;
    Some(if bin.is_little_endian() {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    })
}

/// The data addresses the code of function `name` references.
fn func_refs(bin: &Binary, pcln: &Pclntab, name: &str) -> Option<Vec<Ref>> {
    let f = pcln.func_by_name(name)?;
    let len = usize::try_from(f.end.checked_sub(f.entry)?).ok()?;
    let code = bin.read_vaddr(f.entry, len)?;
    match bin.arch() {
        Arch::Amd64 => Some(amd64_refs(code, f.entry)),
        Arch::Arm64 => Some(arm64_refs(code, f.entry)),
        _ => None,
    }
}

/// RIP-relative memory operands of amd64 code at `pc`.
fn amd64_refs(code: &[u8], pc: u64) -> Vec<Ref> {
    use iced_x86::{Decoder, DecoderOptions, Mnemonic, OpKind, Register};
    let mut out = Vec::new();
    // The last `LEAQ sym(SB), R` per register, for `XCHG R2, 0(R)` (atomic stores).
    let mut lea: Vec<(Register, u64)> = Vec::new();
    let mut dec = Decoder::with_ip(64, code, pc, DecoderOptions::NONE);
    for ins in &mut dec {
        if ins.is_invalid() {
            continue;
        }
        let xchg = ins.mnemonic() == Mnemonic::Xchg;
        if ins.is_ip_rel_memory_operand() {
            let addr = ins.ip_rel_memory_address();
            let lea_or_xchg = xchg || ins.mnemonic() == Mnemonic::Lea;
            out.push(Ref {
                addr,
                atomic_store: xchg,
                size: if lea_or_xchg {
                    0
                } else {
                    u8::try_from(ins.memory_size().size()).unwrap_or(0)
                },
                store: ins.mnemonic() == Mnemonic::Mov && ins.op0_kind() == OpKind::Memory,
            });
            if ins.mnemonic() == Mnemonic::Lea {
                let r = ins.op0_register().full_register();
                lea.retain(|&(x, _)| x != r);
                lea.push((r, addr));
            }
            continue;
        }
        if xchg
            && ins.memory_index() == Register::None
            && ins.memory_displacement64() == 0
            && (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::Memory)
        {
            let base = ins.memory_base().full_register();
            if let Some(&(_, addr)) = lea.iter().find(|&&(r, _)| r == base) {
                out.push(Ref::at(addr, true));
            }
        }
        // Any other write to a register forgets its LEA (conservatively: operand 0).
        if ins.op_count() > 0 && ins.op0_kind() == OpKind::Register {
            let r = ins.op0_register().full_register();
            lea.retain(|&(x, _)| x != r);
        }
        if ins.mnemonic() == Mnemonic::Call {
            lea.clear();
        }
    }
    out
}

/// Addresses formed by `ADRP Xn, page` followed by `ADD Xd, Xn, #lo` (then used by
/// `STLR`/`SWPAL` for atomics) or `LDR`/`STR Xt, [Xn, #off]`, in arm64 code at `pc`.
fn arm64_refs(code: &[u8], pc: u64) -> Vec<Ref> {
    let mut out = Vec::new();
    // Per register: the page an ADRP put there, or a full address an ADD formed.
    let mut page: [Option<u64>; 32] = [None; 32];
    let mut full: [Option<u64>; 32] = [None; 32];
    for (i, w) in code.chunks_exact(4).enumerate() {
        let ins = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        let at = pc + 4 * i as u64;
        let rd = (ins & 0x1f) as usize;
        let rn = ((ins >> 5) & 0x1f) as usize;
        if ins & 0x9f00_0000 == 0x9000_0000 {
            // ADRP
            let immlo = u64::from((ins >> 29) & 3);
            let immhi = u64::from((ins >> 5) & 0x7ffff);
            let imm = (((immhi << 2) | immlo) << 12) as i64;
            let imm = (imm << 31) >> 31; // sign-extend 33 bits
            page[rd] = Some((at & !0xfff).wrapping_add(imm as u64));
            full[rd] = None;
            continue;
        }
        if ins & 0xff80_0000 == 0x9100_0000 {
            // ADD Xd, Xn, #imm12{, lsl #12}
            let shift = if ins & (1 << 22) != 0 { 12 } else { 0 };
            let imm = u64::from((ins >> 10) & 0xfff) << shift;
            let base = page[rn];
            page[rd] = None;
            full[rd] = base.map(|b| b + imm);
            if let Some(a) = full[rd] {
                out.push(Ref::at(a, false));
            }
            continue;
        }
        // LDR/STR (unsigned offset), 32 and 64 bits: size in bits 31:30.
        if ins & 0x3b00_0000 == 0x3900_0000 {
            let size = ins >> 30;
            let off = u64::from((ins >> 10) & 0xfff) << size;
            // General registers only (bit 26 clear); opc (bits 23:22) 00 is a store.
            let gpr = ins & (1 << 26) == 0;
            if let Some(b) = page[rn] {
                out.push(Ref {
                    addr: b + off,
                    atomic_store: false,
                    size: if gpr { 1 << size } else { 0 },
                    store: gpr && (ins >> 22) & 3 == 0,
                });
            }
            if ins & (1 << 22) != 0 {
                // A load overwrites Rt; a store leaves it.
                page[rd] = None;
                full[rd] = None;
            }
            continue;
        }
        // STLR (32/64) and SWPAL/SWPL (atomic.Store* on arm64 with LSE): base in Rn.
        let stlr = ins & 0xbfff_fc00 == 0x889f_fc00;
        let swp = ins & 0x3f20_fc00 == 0x3820_8000;
        if stlr || swp {
            if let Some(a) = full[rn] {
                out.push(Ref::at(a, true));
            }
            continue;
        }
        // Anything else writing Rd invalidates what we knew about it (conservatively:
        // data-processing forms all put Rd in bits 4:0).
        if ins & 0x1c00_0000 != 0x1400_0000 {
            page[rd] = None;
            full[rd] = None;
        }
    }
    out
}

/// `runtime.waitReasonStrings` from the data: `""`, `"GC assist marking"`, then entries that
/// read as wait reasons (lower-case ASCII words), counted.
fn wait_reason_table(bin: &Binary) -> Option<Located> {
    const FIRST: &[u8] = b"GC assist marking";
    let p = bin.ptr_size();
    let word = |b: &[u8]| -> u64 {
        let mut v = 0u64;
        for (i, &x) in b.iter().take(p).enumerate() {
            if bin.is_little_endian() {
                v |= u64::from(x) << (8 * i);
            } else {
                v = (v << 8) | u64::from(x);
            }
        }
        v
    };
    // Where the string's bytes are: any allocated section holding them.
    let mut targets = Vec::new();
    for s in bin.sections() {
        if s.addr == 0 || s.name.starts_with(".debug") || s.name == ".gopclntab" {
            continue;
        }
        let Some(data) = bin.read_vaddr(s.addr, usize::try_from(s.size).ok()?) else {
            continue;
        };
        let mut from = 0;
        while let Some(i) = find(&data[from..], FIRST) {
            targets.push(s.addr + (from + i) as u64);
            from += i + 1;
        }
    }
    if targets.is_empty() {
        return None;
    }
    let data = bin.sections().iter().find(|s| s.name == ".data")?;
    let bytes = bin.read_vaddr(data.addr, usize::try_from(data.size).ok()?)?;
    let entry = 2 * p;
    let mut off = 0;
    while off + 2 * entry <= bytes.len() {
        let e0 = &bytes[off..off + entry];
        let e1 = &bytes[off + entry..off + 2 * entry];
        if e0.iter().all(|&b| b == 0)
            && word(&e1[p..]) == FIRST.len() as u64
            && targets.contains(&word(&e1[..p]))
        {
            let mut n = 2;
            while off + (n + 1) * entry <= bytes.len() {
                let e = &bytes[off + n * entry..off + (n + 1) * entry];
                let (ptr, len) = (word(&e[..p]), word(&e[p..]));
                let ok = (1..=64).contains(&len)
                    && usize::try_from(len)
                        .ok()
                        .and_then(|l| bin.read_vaddr(ptr, l))
                        .is_some_and(|s| {
                            s.iter().all(|&c| {
                                c.is_ascii_lowercase()
                                    || c.is_ascii_uppercase()
                                    || matches!(c, b' ' | b'(' | b')' | b'-' | b'.')
                            })
                        });
                if !ok {
                    break;
                }
                n += 1;
            }
            return Some(Located {
                addr: data.addr + off as u64,
                size: (n * entry) as u64,
                how: "from the data (the wait-reason strings)",
            });
        }
        off += p;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
