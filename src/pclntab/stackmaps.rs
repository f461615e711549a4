//! The compiler's pointer maps of a function's frame, as the garbage collector reads them
//! (`runtime.(*stkframe).getStackMap`): at each safe point, which words of the locals and
//! of the arguments hold live pointers, and the function's stack objects (address-taken
//! variables, scanned only when a live pointer reaches them).
//!
//! Format (Go 1.18 … 1.27): `_func.args` at offset 8; pcdata table 1
//! (`PCDATA_StackMapIndex`) gives the map index at a pc; funcdata 0 and 1
//! (`FUNCDATA_ArgsPointerMaps`, `FUNCDATA_LocalsPointerMaps`) are `stackmap {n, nbit
//! int32; bitmaps [n][(nbit+7)/8]byte}`; funcdata 2 (`FUNCDATA_StackObjects`) is a
//! uintptr count then `stackObjectRecord {off, size, ptrdata int32; gcdataoff uint32}`
//! (`ptrdata` is negated when a GC program describes the type, before 1.24).

use super::{Func, Pclntab};
use crate::pclntab::pcvalue::Bytes;

/// `PCDATA_StackMapIndex`.
const PCDATA_STACK_MAP_INDEX: usize = 1;
/// `FUNCDATA_ArgsPointerMaps`.
const FUNCDATA_ARGS_POINTER_MAPS: usize = 0;
/// `FUNCDATA_LocalsPointerMaps`.
const FUNCDATA_LOCALS_POINTER_MAPS: usize = 1;
/// `FUNCDATA_StackObjects`.
const FUNCDATA_STACK_OBJECTS: usize = 2;
/// `abi.ArgsSizeUnknown`: the argument size of a function whose arguments the runtime
/// finds another way (reflect's call stubs).
const ARGS_SIZE_UNKNOWN: i32 = -0x8000_0000;
/// A frame with more pointer-map bits or stack objects than this is not a real one.
const MAX_BITS: u32 = 1 << 24;
const MAX_OBJECTS: u64 = 1 << 16;

/// One bitmap of a `stackmap`: bit `i` set when word `i` holds a live pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointerBits {
    /// Number of words the bitmap covers.
    pub nbit: u32,
    /// The bits, least significant first.
    pub bits: Vec<u8>,
}

impl PointerBits {
    /// Indexes of the words that hold live pointers.
    pub fn ones(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.nbit).filter(|i| {
            self.bits
                .get((i / 8) as usize)
                .is_some_and(|b| b & (1 << (i % 8)) != 0)
        })
    }
}

/// One stack object of a frame (`stackObjectRecord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackObjectRecord {
    /// Offset in the frame: from `varp` when negative, else from `argp`.
    pub off: i32,
    /// Size in bytes.
    pub size: u32,
    /// Bytes from its start that can hold pointers.
    pub ptrdata: u32,
}

/// What a pointer map lookup found; `None` fields could not be read (the caller then
/// scans that part conservatively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameMaps {
    /// The map index in effect (`-1` read as 0, like the runtime).
    pub stack_id: i32,
    /// `_func.args`: bytes of stack arguments and results; `None` when unknown
    /// (reflect's stubs).
    pub args_size: Option<u32>,
    /// The locals bitmap at `stack_id` (words ending at `varp`).
    pub locals: Option<PointerBits>,
    /// The arguments bitmap at `stack_id` (words from `argp`); an empty one when the
    /// function has no pointer arguments.
    pub args: Option<PointerBits>,
    /// The stack objects (empty when there are none).
    pub objects: Option<Vec<StackObjectRecord>>,
}

impl Pclntab {
    /// The pointer maps of `f` for a frame stopped at `pc` (unrelocated; a return address
    /// for callers, as found on the stack): the runtime backs up to the call instruction
    /// unless `pc` is the entry.
    pub fn frame_maps(&self, f: &Func, pc: u64) -> FrameMaps {
        let raw = self.raw_func(f.index as usize);
        let mut stack_id = -1;
        if pc != f.entry {
            if let Some(off) = raw
                .as_ref()
                .and_then(|r| self.pcdata_off(r, PCDATA_STACK_MAP_INDEX))
            {
                stack_id = self.pcvalue(f, off, pc.wrapping_sub(1)).unwrap_or(-1);
            }
        }
        if stack_id == -1 {
            stack_id = 0;
        }
        let args_size = raw
            .as_ref()
            .and_then(|r| self.tab().u32_at(r.at + 8))
            .map(|a| a as i32)
            .filter(|a| *a != ARGS_SIZE_UNKNOWN)
            .and_then(|a| u32::try_from(a).ok());
        let map = |slot: usize| -> Option<PointerBits> {
            let off = self.funcdata_off(raw.as_ref()?, slot)?;
            self.stackmap(u64::from(off), stack_id)
        };
        // No stack objects funcdata: the function has none.
        let objects =
            raw.as_ref()
                .and_then(|r| match self.funcdata_off(r, FUNCDATA_STACK_OBJECTS) {
                    None => Some(Vec::new()),
                    Some(off) => self.stack_objects(u64::from(off)),
                });
        FrameMaps {
            stack_id,
            args_size,
            locals: map(FUNCDATA_LOCALS_POINTER_MAPS),
            args: match args_size {
                Some(0) => Some(PointerBits {
                    nbit: 0,
                    bits: Vec::new(),
                }),
                _ => map(FUNCDATA_ARGS_POINTER_MAPS),
            },
            objects,
        }
    }

    /// Bitmap `index` of the `stackmap` at funcdata offset `off`; a map with `nbit == 0`
    /// gives an empty bitmap whatever the index.
    fn stackmap(&self, off: u64, index: i32) -> Option<PointerBits> {
        let head = Bytes {
            data: self.gofunc_bytes(off, 8)?,
            le: self.le,
        };
        let n = head.u32_at(0)? as i32;
        let nbit = head.u32_at(4)?;
        if nbit == 0 {
            return Some(PointerBits {
                nbit: 0,
                bits: Vec::new(),
            });
        }
        if n <= 0 || index < 0 || index >= n || nbit > MAX_BITS {
            return None;
        }
        let len = nbit.div_ceil(8) as usize;
        let at = 8u64.checked_add((index as u64).checked_mul(len as u64)?)?;
        let bits = self.gofunc_bytes(off.checked_add(at)?, len)?.to_vec();
        Some(PointerBits { nbit, bits })
    }

    /// The stack object records at funcdata offset `off`.
    fn stack_objects(&self, off: u64) -> Option<Vec<StackObjectRecord>> {
        let ptr = self.ptr_size;
        let count = Bytes {
            data: self.gofunc_bytes(off, ptr)?,
            le: self.le,
        };
        let n = if ptr == 8 {
            count.u64_at(0)?
        } else {
            u64::from(count.u32_at(0)?)
        };
        if n > MAX_OBJECTS {
            return None;
        }
        let recs = Bytes {
            data: self.gofunc_bytes(off.checked_add(ptr as u64)?, (n as usize) * 16)?,
            le: self.le,
        };
        (0..n as usize)
            .map(|i| {
                let at = i * 16;
                Some(StackObjectRecord {
                    off: recs.u32_at(at)? as i32,
                    size: recs.u32_at(at + 4)?,
                    ptrdata: (recs.u32_at(at + 8)? as i32).unsigned_abs(),
                })
            })
            .collect()
    }
}
