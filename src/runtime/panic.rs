//! What a Go program panics with, read from the runtime's own records, never by running Go
//! code: the text `runtime.printpanics` / `printpanicval` would print.
//!
//! A goroutine's `g._panic` chain holds one `runtime._panic` per active panic; each
//! record's `arg` is the panic value (an `any`: type descriptor, data). Once the runtime
//! prepares to die (`preprintpanics`) an error value has already been replaced by its
//! `Error()` string. Before that (a live stop at `runtime.gopanic`), the few error types
//! whose text the runtime or the standard library builds from a string field are composed
//! here (runtime.plainError / errorString / boundsError, errors.New, fmt.Errorf); any
//! other non-basic type is spelled `(TYPE) 0xADDR`. Type names come from `abi.Type.Str`,
//! a name offset into the module's types section (`runtime.types`).

use crate::error::{Error, Result};
use crate::mem::{read_u64, read_vec, Memory};
use crate::symbols::Symbols;

/// `g._panic` in every Go version since 1.21 (after stack, stackguard0, stackguard1).
const G_PANIC_FALLBACK: u64 = 32;
/// `abi.Type` on 64-bit: TFlag at 20, Kind_ at 23, Str (int32 NameOff) at 40.
const TYPE_TFLAG: u64 = 20;
const TYPE_KIND: u64 = 23;
const TYPE_STR: u64 = 40;
const TFLAG_EXTRA_STAR: u8 = 1 << 1;
const KIND_MASK: u8 = 0x1f;
/// How many records of a chain are read at most, and bytes of one string.
const MAX_CHAIN: usize = 16;
const MAX_STRING: usize = 4096;

/// runtime.boundsError texts by code (runtime/error.go), and when x is negative.
const BOUNDS: [&str; 9] = [
    "index out of range [%x] with length %y",
    "slice bounds out of range [:%x] with length %y",
    "slice bounds out of range [:%x] with capacity %y",
    "slice bounds out of range [%x:%y]",
    "slice bounds out of range [::%x] with length %y",
    "slice bounds out of range [::%x] with capacity %y",
    "slice bounds out of range [:%x:%y]",
    "slice bounds out of range [%x:%y:]",
    "cannot convert slice with length %y to array or pointer to array with length %x",
];
const BOUNDS_NEG: [&str; 8] = [
    "index out of range [%x]",
    "slice bounds out of range [:%x]",
    "slice bounds out of range [:%x]",
    "slice bounds out of range [%x:]",
    "slice bounds out of range [::%x]",
    "slice bounds out of range [::%x]",
    "slice bounds out of range [:%x:]",
    "slice bounds out of range [%x::]",
];

/// Where the panic records live in one binary: offsets and the types section.
#[derive(Debug, Clone)]
pub struct PanicLayout {
    /// `runtime.g._panic`.
    pub g_panic: u64,
    /// `runtime._panic.arg` (the eface).
    pub arg: u64,
    /// `runtime._panic.link` (the earlier panic).
    pub link: u64,
    /// `runtime._panic.recovered` (bool), when DWARF says where.
    pub recovered: Option<u64>,
    /// File address of `runtime.types` (name offsets are relative to it).
    pub types: Option<u64>,
    /// Whether the runtime follows each newline of a panic value with a tab (Go 1.23 and
    /// later frame the value this way; earlier runtimes print it raw).
    pub indent: bool,
}

/// `runtime.g._panic`: from DWARF, else where every release keeps it.
pub fn g_panic_offset(syms: &Symbols) -> u64 {
    syms.struct_layout("runtime.g")
        .ok()
        .and_then(|g| g.field("_panic").map(|f| f.offset))
        .unwrap_or(G_PANIC_FALLBACK)
}

impl PanicLayout {
    /// Offsets from DWARF; without it, by Go minor version (1.27 dropped `_panic.argp`).
    pub fn new(syms: &Symbols, go_minor: u32) -> Self {
        let (mut arg, mut link) = if go_minor >= 27 { (0, 16) } else { (8, 24) };
        let mut recovered = None;
        if let Ok(p) = syms.struct_layout("runtime._panic") {
            if let (Some(a), Some(l)) = (p.field("arg"), p.field("link")) {
                arg = a.offset;
                link = l.offset;
            }
            recovered = p.field("recovered").map(|f| f.offset);
        }
        let g_panic = g_panic_offset(syms);
        let types = syms.binary().elf_symbol("runtime.types").map(|s| s.addr);
        PanicLayout {
            g_panic,
            arg,
            link,
            recovered,
            types,
            indent: go_minor >= 23,
        }
    }

    /// `s` as the runtime prints a panic string: framed by a tab after each newline from
    /// Go 1.23 on.
    fn framed(&self, s: String) -> String {
        if self.indent && s.contains('\n') {
            s.replace('\n', "\n\t")
        } else {
            s
        }
    }

    /// The `panic: ...` lines of goroutine `g` (oldest first, as the runtime prints them),
    /// or None when it is not panicking.
    pub fn goroutine_panic(
        &self,
        mem: &dyn Memory,
        bias: u64,
        g: u64,
    ) -> Result<Option<Vec<String>>> {
        let first = read_u64(mem, g + self.g_panic)?;
        if first == 0 {
            return Ok(None);
        }
        self.chain(mem, bias, first).map(Some)
    }

    /// The `panic: ...` lines of the chain starting at record `first`, oldest first.
    pub fn chain(&self, mem: &dyn Memory, bias: u64, first: u64) -> Result<Vec<String>> {
        let mut lines = Vec::new();
        let mut rec = first;
        for _ in 0..MAX_CHAIN {
            if rec == 0 {
                break;
            }
            let typ = read_u64(mem, rec + self.arg)?;
            let data = read_u64(mem, rec + self.arg + 8)?;
            let mut line = format!("panic: {}", self.value(mem, bias, typ, data)?);
            if let Some(off) = self.recovered {
                if read_vec(mem, rec + off, 1)?.first() == Some(&1) {
                    line.push_str(" [recovered]");
                }
            }
            lines.push(line);
            rec = read_u64(mem, rec + self.link)?;
        }
        lines.reverse();
        Ok(lines)
    }

    /// The name of the type descriptor at `typ` (`*errors.errorString`).
    pub fn type_name(&self, mem: &dyn Memory, bias: u64, typ: u64) -> Result<String> {
        let types = self
            .types
            .ok_or_else(|| Error::NotFound("runtime.types (stripped binary?)".into()))?
            + bias;
        let tflag = read_vec(mem, typ + TYPE_TFLAG, 1)?[0];
        let raw = read_vec(mem, typ + TYPE_STR, 4)?;
        let off = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let name_at = types.wrapping_add_signed(i64::from(off)) + 1;
        let head = read_vec(mem, name_at, 4)?;
        let (mut len, mut used) = (0usize, 0usize);
        for (i, b) in head.iter().enumerate() {
            len |= usize::from(b & 0x7f) << (7 * i);
            used = i + 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let bytes = read_vec(mem, name_at + used as u64, len.min(MAX_STRING))?;
        let name = String::from_utf8_lossy(&bytes).into_owned();
        Ok(match name.strip_prefix('*') {
            Some(rest) if tflag & TFLAG_EXTRA_STAR != 0 => rest.to_string(),
            _ => name,
        })
    }

    /// A panic value (type, data) as `printpanicval` prints it.
    pub fn value(&self, mem: &dyn Memory, bias: u64, typ: u64, data: u64) -> Result<String> {
        if typ == 0 {
            return Ok("nil".into());
        }
        let name = self.type_name(mem, bias, typ)?;
        match name.as_str() {
            "runtime.plainError" | "*errors.errorString" | "*fmt.wrapError" | "*fmt.wrapErrors" => {
                return Ok(self.framed(go_string(mem, data)?))
            }
            "runtime.errorString" => {
                return Ok(self.framed(format!("runtime error: {}", go_string(mem, data)?)))
            }
            "runtime.boundsError" => return bounds(mem, data),
            _ => {}
        }
        let kind = read_vec(mem, typ + TYPE_KIND, 1)?[0] & KIND_MASK;
        let Some(basic) = basic(mem, kind, data)? else {
            return Ok(format!("({name}) {data:#x}"));
        };
        Ok(
            match (kind_name(kind) == Some(name.as_str()), kind == KIND_STRING) {
                (true, true) => self.framed(basic),
                (true, false) => basic,
                (false, true) => format!("{name}(\"{}\")", self.framed(basic)),
                (false, false) => format!("{name}({basic})"),
            },
        )
    }
}

const KIND_STRING: u8 = 24;

fn kind_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        1 => "bool",
        2 => "int",
        3 => "int8",
        4 => "int16",
        5 => "int32",
        6 => "int64",
        7 => "uint",
        8 => "uint8",
        9 => "uint16",
        10 => "uint32",
        11 => "uint64",
        12 => "uintptr",
        13 => "float32",
        14 => "float64",
        KIND_STRING => "string",
        _ => return None,
    })
}

/// The Go string whose (ptr, len) header is at `header`.
fn go_string(mem: &dyn Memory, header: u64) -> Result<String> {
    let ptr = read_u64(mem, header)?;
    let len = read_u64(mem, header + 8)?;
    if ptr == 0 || len == 0 {
        return Ok(String::new());
    }
    let n = usize::try_from(len).unwrap_or(MAX_STRING).min(MAX_STRING);
    Ok(String::from_utf8_lossy(&read_vec(mem, ptr, n)?).into_owned())
}

fn bounds(mem: &dyn Memory, data: u64) -> Result<String> {
    let raw = read_vec(mem, data, 18)?;
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&raw[i..i + 8]);
        b
    };
    let x = i64::from_le_bytes(word(0));
    let y = i64::from_le_bytes(word(8));
    let (signed, code) = (raw[16] != 0, usize::from(raw[17]));
    let neg = signed && x < 0;
    let fmt = if neg {
        BOUNDS_NEG.get(code)
    } else {
        BOUNDS.get(code)
    };
    let Some(fmt) = fmt else {
        return Ok(format!("runtime error: bounds error (code {code})"));
    };
    let xs = if signed {
        x.to_string()
    } else {
        u64::from_le_bytes(word(0)).to_string()
    };
    Ok(format!(
        "runtime error: {}",
        fmt.replace("%x", &xs).replace("%y", &y.to_string())
    ))
}

/// Go's `print(float64)`: `+1.500000e+000`.
fn go_float(v: f64) -> String {
    let s = format!("{v:.6e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    let sign = if v.is_sign_negative() { "" } else { "+" };
    let esign = if e < 0 { '-' } else { '+' };
    format!("{sign}{mant}e{esign}{:03}", e.abs())
}

fn basic(mem: &dyn Memory, kind: u8, data: u64) -> Result<Option<String>> {
    let size = match kind {
        1 | 3 | 8 => 1,
        4 | 9 => 2,
        5 | 10 | 13 => 4,
        2 | 6 | 7 | 11 | 12 | 14 => 8,
        KIND_STRING => return go_string(mem, data).map(Some),
        _ => return Ok(None),
    };
    let raw = read_vec(mem, data, size)?;
    let mut b = [0u8; 8];
    b[..size].copy_from_slice(&raw);
    let u = u64::from_le_bytes(b);
    Ok(Some(match kind {
        1 => (if u != 0 { "true" } else { "false" }).to_string(),
        13 => go_float(f64::from(f32::from_bits(u as u32))),
        14 => go_float(f64::from_bits(u)),
        3 => (u as u8 as i8).to_string(),
        4 => (u as u16 as i16).to_string(),
        5 => (u as u32 as i32).to_string(),
        2 | 6 => (u as i64).to_string(),
        _ => u.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_the_go_runtime() {
        assert_eq!(go_float(1.5), "+1.500000e+000");
        assert_eq!(go_float(-0.025), "-2.500000e-002");
    }
}
