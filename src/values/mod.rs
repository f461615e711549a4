//! Go values read from debuggee memory: dynamic types of interfaces (type descriptors and
//! itabs), strings, slices, maps (hash maps before Go 1.24, swiss maps since) and chans.
//!
//! Everything here reads through [`crate::mem::Memory`] via the small [`Reader`] below, and
//! every walk is bounded by [`Limits`]: a corrupt or huge value ends in a short marker
//! (`<map: unreadable bucket at 0x…>`) instead of an error, a hang or a huge allocation.
//! The per-release offsets live in [`layout`]; where keys and elements sit inside a bucket or
//! group comes from the binary's DWARF, passed in as a [`Geometry`]; what the words of
//! time.Time, time.Duration, sync.Mutex and sync.RWMutex mean is in [`stdtypes`].

pub mod abi;
pub mod layout;
pub mod lookup;
pub mod probe;
pub mod program;
pub mod render;
pub mod stdtypes;

use std::collections::HashSet;
use std::ops::Range;

use crate::error::Result;
use crate::mem::{Memory, ReadReq};

pub use layout::{Layout, MapKind};

/// Bounds on one walk.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes a walk may read (headers, buckets, groups, directories).
    pub max_bytes: u64,
    /// Entries a walk may return.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 << 20,
            max_entries: 1 << 20,
        }
    }
}

/// Where keys and elements sit in one hash bucket or swiss group (from DWARF:
/// `bucket<K,V>` {tophash, keys, values, overflow}, or `group[K]V` {ctrl, slots}).
#[derive(Debug, Clone, Copy, Default)]
pub struct Geometry {
    /// Size of one bucket / group.
    pub group_size: u64,
    /// Offset of slot 0's key; slot i's key is at `key_base + i * key_stride`.
    pub key_base: u64,
    /// Distance between keys (key size, or the slot size in a swiss group).
    pub key_stride: u64,
    /// Offset of slot 0's element.
    pub elem_base: u64,
    /// Distance between elements.
    pub elem_stride: u64,
    /// Offset of the overflow-bucket pointer (hash maps only).
    pub overflow: u64,
    /// Keys are stored as pointers (keys larger than 128 bytes).
    pub key_indirect: bool,
    /// Elements are stored as pointers.
    pub elem_indirect: bool,
}

/// The result of a map walk: the header's count, each entry's key and element address, and a
/// marker when the walk stopped early or the header is inconsistent.
#[derive(Debug, Clone, Default)]
pub struct MapWalk {
    /// The count the header claims.
    pub count: u64,
    /// (key address, element address) of each live entry, in the map's storage order.
    pub entries: Vec<(u64, u64)>,
    /// Why the walk is incomplete, if it is: `<map: …>`.
    pub marker: Option<String>,
}

/// The result of a chan read.
#[derive(Debug, Clone, Default)]
pub struct ChanQueue {
    /// Buffered element count (`len(ch)`).
    pub len: u64,
    /// Buffer capacity (`cap(ch)`).
    pub cap: u64,
    /// The chan was closed.
    pub closed: bool,
    /// Element addresses in receive order.
    pub elems: Vec<u64>,
    /// Why the list is incomplete, if it is.
    pub marker: Option<String>,
}

/// What a runtime type descriptor says about a dynamic type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynType {
    /// The type's name as the runtime prints it (`int`, `*errors.errorString`, `main.T`).
    pub name: String,
    /// Size of a value of the type.
    pub size: u64,
    /// abi.Kind (flag bits removed).
    pub kind: u8,
    /// The interface's data word is the value itself (pointer-shaped types).
    pub direct: bool,
}

/// Reads of pointer-sized words and small structs over a [`Memory`], counting bytes against a
/// budget. The one place value readers touch memory (easy to move onto a typed target).
struct Reader<'a> {
    mem: &'a dyn Memory,
    budget: u64,
}

impl<'a> Reader<'a> {
    fn new(mem: &'a dyn Memory, budget: u64) -> Self {
        Reader { mem, budget }
    }

    /// Read `len` bytes, or say why not (budget or memory) in a marker-ready string.
    fn bytes(&mut self, addr: u64, len: u64) -> std::result::Result<Vec<u8>, String> {
        if len > self.budget {
            return Err(format!("read limit reached at {addr:#x}"));
        }
        self.budget -= len;
        let mut v = vec![0u8; len as usize];
        self.mem
            .read_into(addr, &mut v)
            .map_err(|_| format!("unreadable memory at {addr:#x}"))?;
        Ok(v)
    }
}

/// Name what could not be read, unless the read limit (not the memory) stopped the read.
fn unreadable(err: String, what: &str, addr: u64) -> String {
    if err.starts_with("read limit") {
        err
    } else {
        format!("unreadable {what} at {addr:#x}")
    }
}

/// `github.com/x/y.T` -> `y.T`, `main.P[example.com/z.U]` -> `main.P[z.U]`: how the runtime
/// spells a DWARF type name (package name instead of import path).
pub fn runtime_spelling(dwarf: &str) -> String {
    let mut out = String::with_capacity(dwarf.len());
    let mut word = String::new();
    for c in dwarf.chars() {
        if c == '/' {
            word.clear(); // drop the path component
        } else if c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '~') {
            word.push(c);
        } else {
            out.push_str(&word);
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&word);
    out
}

/// Little-endian unsigned integer of `n` bytes at `off` (0 when out of range).
fn le(buf: &[u8], off: u64, n: usize) -> u64 {
    let off = off as usize;
    let Some(b) = buf.get(off..off.saturating_add(n)) else {
        return 0;
    };
    let mut out = 0u64;
    for (i, x) in b.iter().enumerate() {
        out |= u64::from(*x) << (8 * i);
    }
    out
}

/// Walk the map whose header is at `hdr` (the value of a Go map variable).
pub fn map_entries(
    mem: &dyn Memory,
    layout: &Layout,
    kind: MapKind,
    hdr: u64,
    geo: &Geometry,
    limits: Limits,
) -> MapWalk {
    let mut rd = Reader::new(mem, limits.max_bytes);
    let mut walk = MapWalk::default();
    if hdr == 0 {
        return walk;
    }
    let res = match kind {
        MapKind::Hash => walk_hash(&mut rd, layout, hdr, geo, limits, &mut walk),
        MapKind::Swiss => walk_swiss(&mut rd, layout, hdr, geo, limits, &mut walk),
    };
    if let Err(why) = res {
        walk.marker = Some(format!("<map: {why}>"));
    }
    if walk.marker.is_none() && walk.entries.len() as u64 != walk.count {
        walk.marker = Some(format!(
            "<map: header says {} entries, found {}>",
            walk.count,
            walk.entries.len()
        ));
    }
    if let Err(why) = resolve_indirect(&mut rd, geo, &mut walk.entries) {
        walk.marker.get_or_insert(format!("<map: {why}>"));
    }
    walk
}

/// Replace slot addresses by the pointers stored in them for indirect keys / elements.
fn resolve_indirect(
    rd: &mut Reader<'_>,
    geo: &Geometry,
    entries: &mut [(u64, u64)],
) -> std::result::Result<(), String> {
    if !geo.key_indirect && !geo.elem_indirect {
        return Ok(());
    }
    let mut addrs: Vec<u64> = Vec::new();
    for (k, e) in entries.iter() {
        if geo.key_indirect {
            addrs.push(*k);
        }
        if geo.elem_indirect {
            addrs.push(*e);
        }
    }
    let words = read_words(rd, &addrs)?;
    let mut it = words.into_iter();
    for (k, e) in entries.iter_mut() {
        if geo.key_indirect {
            *k = it.next().unwrap_or(0);
        }
        if geo.elem_indirect {
            *e = it.next().unwrap_or(0);
        }
    }
    Ok(())
}

fn read_words(rd: &mut Reader<'_>, addrs: &[u64]) -> std::result::Result<Vec<u64>, String> {
    let need = addrs.len() as u64 * 8;
    if need > rd.budget {
        return Err("read limit reached".into());
    }
    rd.budget -= need;
    let mut bufs = vec![[0u8; 8]; addrs.len()];
    let mut reqs: Vec<ReadReq<'_>> = addrs
        .iter()
        .zip(bufs.iter_mut())
        .map(|(a, b)| (*a, &mut b[..]))
        .collect();
    let res = rd.mem.read_batch(&mut reqs);
    for (i, r) in res.iter().enumerate() {
        if r.is_err() {
            return Err(format!(
                "unreadable pointer at {:#x}",
                addrs.get(i).copied().unwrap_or(0)
            ));
        }
    }
    Ok(bufs.iter().map(|b| u64::from_le_bytes(*b)).collect())
}

fn walk_hash(
    rd: &mut Reader<'_>,
    l: &Layout,
    hdr: u64,
    geo: &Geometry,
    limits: Limits,
    walk: &mut MapWalk,
) -> std::result::Result<(), String> {
    let h = rd.bytes(hdr, 48)?;
    walk.count = le(&h, l.hmap_count, 8);
    let flags = le(&h, l.hmap_flags, 1) as u8;
    let b = le(&h, l.hmap_b, 1);
    let buckets = le(&h, l.hmap_buckets, 8);
    let old = le(&h, l.hmap_oldbuckets, 8);
    if b > 40 {
        return Err(format!("garbage header (B = {b}, count = {})", walk.count));
    }
    if geo.group_size == 0 {
        return Err("no bucket layout".into());
    }
    let nb = 1u64 << b;
    let size = nb.saturating_mul(geo.group_size);
    if size > rd.budget {
        return Err(format!(
            "{nb} buckets exceed the read limit of {} bytes",
            limits.max_bytes
        ));
    }
    if buckets == 0 {
        return Ok(());
    }
    let cur = rd
        .bytes(buckets, size)
        .map_err(|e| unreadable(e, "bucket", buckets))?;
    let (old_bytes, old_nb) = if old != 0 {
        let onb = if flags & layout::HMAP_SAME_SIZE_GROW != 0 || b == 0 {
            nb
        } else {
            nb / 2
        };
        let ob = rd
            .bytes(old, onb * geo.group_size)
            .map_err(|e| unreadable(e, "bucket", old))?;
        (ob, onb)
    } else {
        (Vec::new(), 0)
    };
    let mut seen = HashSet::new();
    for i in 0..nb {
        if old_nb > 0 {
            let oi = i & (old_nb - 1);
            let ob =
                &old_bytes[(oi * geo.group_size) as usize..((oi + 1) * geo.group_size) as usize];
            let top0 = ob.first().copied().unwrap_or(0);
            if !layout::EVACUATED.contains(&top0) {
                // Not evacuated yet: its entries (both halves) are still in the old bucket.
                if i == oi {
                    chain(
                        rd,
                        old + oi * geo.group_size,
                        ob.to_vec(),
                        geo,
                        limits,
                        walk,
                        &mut seen,
                    )?;
                }
                continue;
            }
        }
        let off = (i * geo.group_size) as usize;
        let bb = cur[off..off + geo.group_size as usize].to_vec();
        chain(
            rd,
            buckets + i * geo.group_size,
            bb,
            geo,
            limits,
            walk,
            &mut seen,
        )?;
    }
    Ok(())
}

/// One bucket and its overflow chain.
fn chain(
    rd: &mut Reader<'_>,
    mut addr: u64,
    mut bytes: Vec<u8>,
    geo: &Geometry,
    limits: Limits,
    walk: &mut MapWalk,
    seen: &mut HashSet<u64>,
) -> std::result::Result<(), String> {
    loop {
        for j in 0..layout::SLOTS {
            let top = bytes.get(j as usize).copied().unwrap_or(0);
            if top >= layout::MIN_TOP_HASH {
                if walk.entries.len() as u64 >= limits.max_entries {
                    return Err(format!("entry limit of {} reached", limits.max_entries));
                }
                walk.entries.push((
                    addr + geo.key_base + j * geo.key_stride,
                    addr + geo.elem_base + j * geo.elem_stride,
                ));
            }
        }
        let next = le(&bytes, geo.overflow, 8);
        if next == 0 {
            return Ok(());
        }
        if !seen.insert(next) {
            return Err(format!("overflow bucket cycle at {next:#x}"));
        }
        bytes = rd
            .bytes(next, geo.group_size)
            .map_err(|e| unreadable(e, "bucket", next))?;
        addr = next;
    }
}

fn walk_swiss(
    rd: &mut Reader<'_>,
    l: &Layout,
    hdr: u64,
    geo: &Geometry,
    limits: Limits,
    walk: &mut MapWalk,
) -> std::result::Result<(), String> {
    let h = rd.bytes(hdr, 48)?;
    walk.count = le(&h, l.smap_used, 8);
    let dir_ptr = le(&h, l.smap_dir_ptr, 8);
    let dir_len = le(&h, l.smap_dir_len, 8) as i64;
    if geo.group_size == 0 {
        return Err("no group layout".into());
    }
    if dir_len <= 0 {
        // A small map: at most one group, straight at dirPtr.
        if dir_ptr == 0 {
            return Ok(());
        }
        let g = rd
            .bytes(dir_ptr, geo.group_size)
            .map_err(|e| unreadable(e, "group", dir_ptr))?;
        return group(dir_ptr, &g, geo, limits, walk);
    }
    let dir_len = dir_len as u64;
    if dir_len.saturating_mul(8) > rd.budget || dir_len > (1 << 24) {
        return Err(format!(
            "garbage header (directory of {dir_len} tables, count = {})",
            walk.count
        ));
    }
    let dir = rd
        .bytes(dir_ptr, dir_len * 8)
        .map_err(|e| unreadable(e, "directory", dir_ptr))?;
    let mut seen = HashSet::new();
    for t in 0..dir_len {
        let table = le(&dir, t * 8, 8);
        if !seen.insert(table) {
            continue; // several directory entries share a table of lower local depth
        }
        let th = rd
            .bytes(table, 32)
            .map_err(|e| unreadable(e, "table", table))?;
        let data = le(&th, l.table_groups_data, 8);
        let mask = le(&th, l.table_length_mask, 8);
        let ngroups = mask.saturating_add(1);
        let size = ngroups.saturating_mul(geo.group_size);
        if size > rd.budget {
            return Err(format!(
                "table of {ngroups} groups exceeds the read limit of {} bytes",
                limits.max_bytes
            ));
        }
        let gs = rd
            .bytes(data, size)
            .map_err(|e| unreadable(e, "group", data))?;
        for g in 0..ngroups {
            let off = (g * geo.group_size) as usize;
            let bytes = &gs[off..off + geo.group_size as usize];
            group(data + g * geo.group_size, bytes, geo, limits, walk)?;
        }
    }
    Ok(())
}

/// The full slots of one swiss group (control byte high bit clear).
fn group(
    addr: u64,
    bytes: &[u8],
    geo: &Geometry,
    limits: Limits,
    walk: &mut MapWalk,
) -> std::result::Result<(), String> {
    for j in 0..layout::SLOTS {
        let ctrl = bytes
            .get(j as usize)
            .copied()
            .unwrap_or(layout::CTRL_EMPTY_BIT);
        if ctrl & layout::CTRL_EMPTY_BIT == 0 {
            if walk.entries.len() as u64 >= limits.max_entries {
                return Err(format!("entry limit of {} reached", limits.max_entries));
            }
            walk.entries.push((
                addr + geo.key_base + j * geo.key_stride,
                addr + geo.elem_base + j * geo.elem_stride,
            ));
        }
    }
    Ok(())
}

/// Read the chan at `addr` (the value of a Go chan variable): length, capacity, closed, and
/// the buffered elements' addresses in receive order (at most `limits.max_entries`).
pub fn chan_queue(mem: &dyn Memory, l: &Layout, addr: u64, limits: Limits) -> ChanQueue {
    let mut q = ChanQueue::default();
    if addr == 0 {
        return q;
    }
    let mut rd = Reader::new(mem, limits.max_bytes);
    let h = match rd.bytes(addr, l.chan_recvx + 8) {
        Ok(h) => h,
        Err(why) => {
            q.marker = Some(format!("<chan: {why}>"));
            return q;
        }
    };
    q.len = le(&h, l.chan_qcount, 8);
    q.cap = le(&h, l.chan_dataqsiz, 8);
    q.closed = le(&h, l.chan_closed, 4) != 0;
    let buf = le(&h, l.chan_buf, 8);
    let esize = le(&h, l.chan_elemsize, 2);
    let recvx = le(&h, l.chan_recvx, 8);
    if q.len > q.cap || (q.cap > 0 && recvx >= q.cap) {
        q.marker = Some(format!(
            "<chan: garbage header (len {}, cap {}, recvx {recvx})>",
            q.len, q.cap
        ));
        return q;
    }
    let n = q.len.min(limits.max_entries);
    if n.saturating_mul(esize) > limits.max_bytes {
        q.marker = Some(format!("<chan: {} elements exceed the read limit>", q.len));
        return q;
    }
    // The ring's slots from recvx on, without overflowing on a garbage header (recvx and
    // cap near 2^64; checked above: recvx < cap, n <= cap). A buf near the top of the
    // address space wraps to an address that does not read, as any other garbage pointer.
    let cap = q.cap.max(1);
    let recvx = recvx.min(cap - 1);
    q.elems = (0..n)
        .map(|i| {
            let slot = if i < cap - recvx {
                recvx + i
            } else {
                i - (cap - recvx)
            };
            buf.wrapping_add(slot.wrapping_mul(esize))
        })
        .collect();
    if n < q.len {
        q.marker = Some(format!(
            "<chan: entry limit of {} reached>",
            limits.max_entries
        ));
    }
    q
}

/// len() of the map whose header is at `hdr` (hmap.count or Map.used; 0 for nil).
pub fn map_len(mem: &dyn Memory, l: &Layout, kind: MapKind, hdr: u64) -> Result<u64> {
    if hdr == 0 {
        return Ok(0);
    }
    let off = match kind {
        MapKind::Hash => l.hmap_count,
        MapKind::Swiss => l.smap_used,
    };
    let mut w = [0u8; 8];
    mem.read_into(hdr + off, &mut w)?;
    Ok(u64::from_le_bytes(w))
}

/// (len, cap) of the chan at `addr` (hchan.qcount, hchan.dataqsiz; 0, 0 for nil).
pub fn chan_len_cap(mem: &dyn Memory, l: &Layout, addr: u64) -> Result<(u64, u64)> {
    if addr == 0 {
        return Ok((0, 0));
    }
    let mut h = vec![0u8; (l.chan_dataqsiz + 8) as usize];
    mem.read_into(addr, &mut h)?;
    Ok((le(&h, l.chan_qcount, 8), le(&h, l.chan_dataqsiz, 8)))
}

/// The dynamic type at `typ` (an `*abi.Type`); `types` is the module's types section
/// (`runtime.types` .. `runtime.etypes`, relocated), against whose start the type's name
/// offset resolves (a type made at run time is spelled from its parts).
pub fn dyn_type(mem: &dyn Memory, l: &Layout, types: Range<u64>, typ: u64) -> Result<DynType> {
    let mut hdr = [0u8; 48];
    mem.read_into(typ, &mut hdr)?;
    let size = le(&hdr, l.type_size, 8);
    let tflag = le(&hdr, l.type_tflag, 1) as u8;
    let kind_raw = le(&hdr, l.type_kind, 1) as u8;
    let direct = (kind_raw & layout::DIRECT_IFACE) != 0 || (tflag & layout::DIRECT_IFACE) != 0;
    let kind = kind_raw & layout::KIND_MASK;
    let name = render::Renderer::new(mem, l, types, render::RenderOpts::default())
        .type_name(typ)
        .unwrap_or_else(|m| m);
    Ok(DynType {
        name,
        size,
        kind,
        direct,
    })
}

/// The dynamic type of a non-empty interface: the `*abi.Type` held by the itab at `itab`.
pub fn itab_type(mem: &dyn Memory, l: &Layout, itab: u64) -> Result<u64> {
    let mut b = [0u8; 8];
    mem.read_into(itab + l.itab_type, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// An abi.Name: one flag byte, a uvarint length, the bytes; returned escaped
/// ([`crate::text::escape`]).
fn read_name(mem: &dyn Memory, addr: u64) -> Result<String> {
    // flag byte and a uvarint of up to 10 bytes; a name near the end of its mapping has a
    // one-byte length (names are at most 4 KiB)
    let mut head = [0u8; 11];
    if mem.read_into(addr, &mut head).is_err() {
        head = [0u8; 11];
        mem.read_into(addr, &mut head[..2])?;
    }
    let mut len = 0u64;
    let mut i = 1usize;
    let mut shift = 0;
    loop {
        let b = *head
            .get(i)
            .ok_or_else(|| crate::Error::corrupt("type name", "varint too long"))?;
        len |= u64::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    if len > 4096 {
        return Err(crate::Error::corrupt("type name", format!("length {len}")));
    }
    let mut v = vec![0u8; len as usize];
    mem.read_into(addr + i as u64, &mut v)?;
    // Names come from the program's memory: escaped here, once, for every reader that
    // shows them or looks a gdb type up by them (a NUL or ESC is never a DWARF name).
    Ok(crate::text::escape(&String::from_utf8_lossy(&v)).into_owned())
}

/// Bytes one string read takes in one piece; longer strings are read piece by piece and end
/// where the memory does, so a corrupt length allocates no more than the memory holds.
const STRING_PIECE: u64 = 64 << 10;

/// What [`read_strings`] found at one string header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrRead {
    /// The header is unreadable, or the first bytes are.
    Unreadable,
    /// The bytes read (at most the limit, and only what the memory holds) and the length the
    /// header claims.
    Bytes(Vec<u8>, u64),
    /// The call's byte budget was spent before this string.
    OverBudget,
}

/// Go string headers at `addrs`: each string's bytes, at most `max_len` of them and at most
/// `max_bytes` for all of them together. A length the memory cannot hold is cut where the
/// memory ends (the mapping's extent where the backing knows it, else the first unreadable
/// piece), so a corrupt header costs no more than the bytes really there. Short strings are
/// read in one batch.
pub fn read_strings(mem: &dyn Memory, addrs: &[u64], max_len: u64, max_bytes: u64) -> Vec<StrRead> {
    let mut hdrs = vec![[0u8; 16]; addrs.len()];
    let ok: Vec<bool> = {
        let mut reqs: Vec<ReadReq<'_>> = addrs
            .iter()
            .zip(hdrs.iter_mut())
            .map(|(a, b)| (*a, &mut b[..]))
            .collect();
        mem.read_batch(&mut reqs)
            .iter()
            .map(|r| r.is_ok())
            .collect()
    };
    let mut budget = max_bytes;
    let mut out: Vec<StrRead> = Vec::with_capacity(addrs.len());
    // (index in out, pointer, bytes) of the short strings, read in one batch below
    let mut short: Vec<(usize, u64, usize)> = Vec::new();
    for (h, ok) in hdrs.iter().zip(ok) {
        if !ok {
            out.push(StrRead::Unreadable);
            continue;
        }
        let (ptr, len) = (le(h, 0, 8), le(h, 8, 8));
        let want = len.min(max_len);
        if want > 0 && budget == 0 {
            out.push(StrRead::OverBudget);
            continue;
        }
        let n = want.min(budget);
        budget -= n;
        if n == 0 {
            out.push(StrRead::Bytes(Vec::new(), len));
        } else if n <= STRING_PIECE {
            short.push((out.len(), ptr, n as usize));
            out.push(StrRead::Bytes(Vec::new(), len));
        } else {
            let n = mem.mapped_extent(ptr).map_or(n, |ext| n.min(ext));
            out.push(
                read_pieces(mem, ptr, n).map_or(StrRead::Unreadable, |b| StrRead::Bytes(b, len)),
            );
        }
    }
    let mut bufs: Vec<Vec<u8>> = short.iter().map(|(_, _, n)| vec![0u8; *n]).collect();
    let res = {
        let mut reqs: Vec<ReadReq<'_>> = short
            .iter()
            .zip(bufs.iter_mut())
            .map(|((_, p, _), b)| (*p, &mut b[..]))
            .collect();
        mem.read_batch(&mut reqs)
    };
    for (((i, _, _), buf), r) in short.iter().zip(bufs).zip(res) {
        if let Some(slot) = out.get_mut(*i) {
            if r.is_err() {
                *slot = StrRead::Unreadable;
            } else if let StrRead::Bytes(b, _) = slot {
                *b = buf;
            }
        }
    }
    out
}

/// Up to `n` bytes at `ptr`, read in [`STRING_PIECE`]s up to the first unreadable one; None
/// when not even the first piece is readable.
fn read_pieces(mem: &dyn Memory, ptr: u64, n: u64) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    let mut at = 0u64;
    while at < n {
        let len = (n - at).min(STRING_PIECE) as usize;
        let mut piece = vec![0u8; len];
        if mem.read_into(ptr.wrapping_add(at), &mut piece).is_err() {
            break;
        }
        out.extend_from_slice(&piece);
        at += len as u64;
    }
    if out.is_empty() && n > 0 {
        None
    } else {
        Some(out)
    }
}

/// Little-endian integers of `size` bytes (1, 2, 4 or 8) at `addrs`, sign-extended when
/// `signed`; None where unreadable. One batched read.
pub fn read_ints(mem: &dyn Memory, addrs: &[u64], size: usize, signed: bool) -> Vec<Option<i128>> {
    let size = size.clamp(1, 8);
    let mut bufs = vec![[0u8; 8]; addrs.len()];
    let res = {
        let mut reqs: Vec<ReadReq<'_>> = addrs
            .iter()
            .zip(bufs.iter_mut())
            .map(|(a, b)| (*a, &mut b[..size]))
            .collect();
        mem.read_batch(&mut reqs)
    };
    bufs.iter()
        .zip(res)
        .map(|(b, r)| {
            r.ok()?;
            let u = le(b, 0, size);
            if signed && size < 8 {
                let shift = 64 - 8 * size as u32;
                Some(i128::from(((u << shift) as i64) >> shift))
            } else if signed {
                Some(i128::from(u as i64))
            } else {
                Some(i128::from(u))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
