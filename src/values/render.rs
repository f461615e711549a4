//! Go values decoded from their runtime type descriptor alone (`abi.Type` and its
//! kind-specific tail: `PtrType`, `SliceType`, `ArrayType`, `StructType`, `InterfaceType`),
//! for values whose type the DWARF lacks: the dynamic value of an interface in an optimized
//! build, a type made at run time, a binary linked with `-w`. The text has the printers' shape
//! (`main.point {X = 7, Y = 8}`, `*strings.Reader {s = "x", i = 0}`, `[]int = {1, 2}`).
//!
//! Offsets come from [`super::layout`]; every read goes through the walk's byte budget, nesting
//! stops at [`RenderOpts::max_depth`] (`{...}`), element lists at `max_elems` (`...`) and the
//! text at 1 MiB, an interface met again inside itself at `(cycle) 0x…`, so a corrupt
//! descriptor or cyclic data ends in a short marker, never a hang.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::rc::Rc;

use super::{layout, le, read_name, Layout, Reader};
use crate::mem::Memory;

/// Bounds of one rendering.
#[derive(Debug, Clone, Copy)]
pub struct RenderOpts {
    /// Elements shown per slice or array (gdb's `print elements`).
    pub max_elems: u64,
    /// Bytes shown per string.
    pub max_string: u64,
    /// Nesting levels followed (structs, arrays, slices, interfaces).
    pub max_depth: u32,
    /// Bytes all reads together may take.
    pub max_bytes: u64,
}

impl Default for RenderOpts {
    fn default() -> Self {
        RenderOpts {
            max_elems: 200,
            max_string: 200,
            max_depth: 6,
            max_bytes: 1 << 20,
        }
    }
}

/// Fields a struct may have before the descriptor counts as corrupt.
const MAX_FIELDS: u64 = 4096;
/// Text one rendering may produce (nested zero-size arrays need no reads to be long).
const MAX_TEXT: usize = 1 << 20;

/// A type descriptor as read: the header and the first words of its kind-specific tail.
struct Desc {
    name: String,
    size: u64,
    kind: u8,
    direct: bool,
    raw: Vec<u8>,
}

impl Desc {
    fn word(&self, off: u64) -> u64 {
        le(&self.raw, off, 8)
    }
}

/// Go's `strconv.Quote`-like text of a Go string as gdb's printers show one: `"a\"b"`, with
/// `"..."` appended when `truncated`. Escapes `"`, `\`, `\n`, `\t`, `\r`, other control bytes
/// as three octal digits, C1 controls and bidi overrides ([`crate::text::needs_escape`]) as
/// `\uNNNN`; invalid UTF-8 becomes U+FFFD. The one quoting rule of the printers
/// (`Values.quoted_strings`, the rendered values).
pub fn quote(bytes: &[u8], truncated: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len() + 5);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            // C1 controls and bidi overrides would drive or reorder the terminal
            c if crate::text::needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    if truncated {
        out.push_str("...");
    }
    out
}

/// Renders values from type descriptors over one memory, with one budget.
pub struct Renderer<'a> {
    rd: Reader<'a>,
    l: &'a Layout,
    types: Range<u64>,
    opts: RenderOpts,
    descs: HashMap<u64, Rc<Desc>>,
    /// Data addresses of the interfaces being rendered (outermost first): one met again is a
    /// cycle, shown as `(cycle) 0x…` instead of being rendered once more.
    path: Vec<u64>,
}

impl<'a> Renderer<'a> {
    /// A renderer over `mem`; `types` is the module's types section (`runtime.types` ..
    /// `runtime.etypes`, relocated), against whose start type names resolve.
    pub fn new(mem: &'a dyn Memory, l: &'a Layout, types: Range<u64>, opts: RenderOpts) -> Self {
        Renderer {
            rd: Reader::new(mem, opts.max_bytes),
            l,
            types,
            opts,
            descs: HashMap::new(),
            path: Vec::new(),
        }
    }

    fn desc(&mut self, typ: u64) -> Result<Rc<Desc>, String> {
        self.desc_at(typ, 0)
    }

    /// The descriptor at `typ`; `depth` bounds the descriptors read to name it.
    fn desc_at(&mut self, typ: u64, depth: u32) -> Result<Rc<Desc>, String> {
        if let Some(d) = self.descs.get(&typ) {
            return Ok(d.clone());
        }
        let l = self.l;
        let mut raw = self
            .rd
            .bytes(typ, l.type_header)
            .map_err(|_| format!("<unreadable type at {typ:#x}>"))?;
        // the kind-specific words (a basic type's descriptor may end at the header)
        raw.extend(
            self.rd
                .bytes(typ + l.type_header, 24)
                .unwrap_or_else(|_| vec![0; 24]),
        );
        let tflag = le(&raw, l.type_tflag, 1) as u8;
        let kind_raw = le(&raw, l.type_kind, 1) as u8;
        let off = le(&raw, l.type_str, 4) as u32 as i32;
        let kind = kind_raw & layout::KIND_MASK;
        let mut d = Desc {
            name: String::new(),
            size: le(&raw, l.type_size, 8),
            kind,
            direct: (kind_raw & layout::DIRECT_IFACE) != 0 || (tflag & layout::DIRECT_IFACE) != 0,
            raw,
        };
        // A name offset outside the module's types section is one the runtime resolves
        // through reflect's table (types made at run time): spell the type from its parts.
        let name_at = self.types.start.wrapping_add_signed(i64::from(off));
        let named = if off >= 0 && self.types.contains(&name_at) {
            read_name(self.rd.mem, name_at).ok()
        } else {
            None
        };
        d.name = match named {
            Some(n) if tflag & layout::TFLAG_EXTRA_STAR != 0 => {
                n.strip_prefix('*').map(str::to_string).unwrap_or(n)
            }
            Some(n) => n,
            None => self.spell(&d, typ, depth),
        };
        let d = Rc::new(d);
        self.descs.insert(typ, d.clone());
        Ok(d)
    }

    /// A type's name from its parts (`*T`, `[]T`, `[3]T`, `chan T`, `struct { A int; B
    /// string }`), as reflect spells the types it makes.
    fn spell(&mut self, d: &Desc, typ: u64, depth: u32) -> String {
        let l = self.l;
        let unnamed = || {
            let k = layout::KIND_NAMES.get(d.kind as usize).unwrap_or(&"type");
            format!("<{k} at {typ:#x}>")
        };
        if depth > 3 {
            return unnamed();
        }
        let elem = |me: &mut Self| {
            me.desc_at(d.word(l.type_elem), depth + 1)
                .map(|e| e.name.clone())
                .unwrap_or_else(|m| m)
        };
        match d.kind {
            KIND_POINTER => format!("*{}", elem(self)),
            KIND_SLICE => format!("[]{}", elem(self)),
            KIND_ARRAY => format!("[{}]{}", d.word(l.array_len), elem(self)),
            18 => format!("chan {}", elem(self)),
            KIND_STRUCT => {
                let n = d.word(l.struct_fields + 8);
                if n > 64 {
                    return unnamed();
                }
                let Ok(table) = self
                    .rd
                    .bytes(d.word(l.struct_fields), n * l.struct_field_size)
                else {
                    return unnamed();
                };
                let mut parts = Vec::new();
                for i in 0..n {
                    let base = i * l.struct_field_size;
                    let name_ptr = le(&table, base, 8);
                    let flags = self
                        .rd
                        .bytes(name_ptr, 1)
                        .ok()
                        .and_then(|b| b.first().copied());
                    let fname = read_name(self.rd.mem, name_ptr).unwrap_or_default();
                    let ftype = self
                        .desc_at(le(&table, base + l.field_typ, 8), depth + 1)
                        .map(|f| f.name.clone())
                        .unwrap_or_else(|m| m);
                    if flags.unwrap_or(0) & layout::NAME_EMBEDDED != 0 {
                        parts.push(ftype);
                    } else {
                        parts.push(format!("{fname} {ftype}"));
                    }
                }
                if parts.is_empty() {
                    "struct {}".into()
                } else {
                    format!("struct {{ {} }}", parts.join("; "))
                }
            }
            _ => unnamed(),
        }
    }

    /// The text of an interface's dynamic value: `T value` (`int 42`, `main.point {X = 7,
    /// Y = 8}`, `*main.point {X = 9, Y = 10}` for a pointer to a struct, `*T nil`), given the
    /// `*abi.Type` and the interface's data word.
    pub fn dynamic(&mut self, typ: u64, data: u64) -> String {
        let mut out = String::new();
        self.dyn_into(typ, data, 0, &mut out);
        out
    }

    /// The name of the type at `typ` (spelled from its parts when the runtime made it; `<struct
    /// at 0x…>` when even that is unreadable).
    pub fn type_name(&mut self, typ: u64) -> Result<String, String> {
        self.desc(typ).map(|d| d.name.clone())
    }

    fn dyn_into(&mut self, typ: u64, data: u64, depth: u32, out: &mut String) {
        let t = match self.desc(typ) {
            Ok(t) => t,
            Err(m) => {
                out.push_str(&m);
                return;
            }
        };
        if t.kind != KIND_SLICE {
            out.push_str(&t.name); // a slice's text starts with its type
            out.push(' ');
        }
        if data != 0 && self.path.contains(&data) {
            let _ = write!(out, "(cycle) {data:#x}");
            return;
        }
        self.path.push(data);
        self.dyn_value(&t, data, depth, out);
        self.path.pop();
    }

    fn dyn_value(&mut self, t: &Desc, data: u64, depth: u32, out: &mut String) {
        if t.direct {
            if t.kind == KIND_POINTER {
                if data == 0 {
                    out.push_str("nil");
                    return;
                }
                if let Ok(e) = self.desc(t.word(self.l.type_elem)) {
                    if e.kind == KIND_STRUCT {
                        self.at(&e, data, depth + 1, out);
                        return;
                    }
                }
                let _ = write!(out, "{data:#x}");
                return;
            }
            let buf = data.to_le_bytes();
            let n = (t.size as usize).min(8);
            self.value(t, &buf[..n], depth + 1, out);
            return;
        }
        self.at(t, data, depth + 1, out);
    }

    /// The value of type `t` at `addr`.
    fn at(&mut self, t: &Desc, addr: u64, depth: u32, out: &mut String) {
        if t.size > self.opts.max_bytes {
            let _ = write!(out, "<{} bytes at {addr:#x}>", t.size);
            return;
        }
        match self.rd.bytes(addr, t.size) {
            Ok(buf) => self.value(t, &buf, depth, out),
            Err(why) => {
                let _ = write!(out, "<{why}>");
            }
        }
    }

    /// The value of type `t` held in `buf` (its `t.size` bytes).
    fn value(&mut self, t: &Desc, buf: &[u8], depth: u32, out: &mut String) {
        let sz = t.size as usize;
        let w = |off: u64| le(buf, off, 8);
        match t.kind {
            KIND_BOOL => out.push_str(if le(buf, 0, 1) != 0 { "true" } else { "false" }),
            2..=6 => {
                let u = le(buf, 0, sz.clamp(1, 8));
                let shift = 64 - 8 * sz.clamp(1, 8) as u32;
                let _ = write!(out, "{}", ((u << shift) as i64) >> shift);
            }
            7..=12 => {
                let _ = write!(out, "{}", le(buf, 0, sz.clamp(1, 8)));
            }
            13 => float(out, f64::from(f32::from_bits(le(buf, 0, 4) as u32))),
            14 => float(out, f64::from_bits(w(0))),
            15 | 16 => {
                let (re, im) = if t.kind == 15 {
                    (
                        f64::from(f32::from_bits(le(buf, 0, 4) as u32)),
                        f64::from(f32::from_bits(le(buf, 4, 4) as u32)),
                    )
                } else {
                    (f64::from_bits(w(0)), f64::from_bits(w(8)))
                };
                out.push('(');
                float(out, re);
                out.push_str(if im.is_sign_negative() { "" } else { "+" });
                float(out, im);
                out.push_str("i)");
            }
            KIND_ARRAY => self.array(t, buf, depth, out),
            KIND_INTERFACE => self.interface(t, buf, depth, out),
            KIND_SLICE => self.slice(t, w(0), w(8), depth, out),
            KIND_STRING => self.string(w(0), w(8), out),
            KIND_STRUCT => self.structure(t, buf, depth, out),
            // chan, func, map, pointer, unsafe.Pointer: the word, as gdb prints a pointer
            18 | 19 | 21 | KIND_POINTER | 26 => {
                let _ = write!(out, "{:#x}", w(0));
            }
            k => {
                let _ = write!(out, "<kind {k}>");
            }
        }
    }

    fn deeper(&self, depth: u32, out: &mut String) -> bool {
        if depth > self.opts.max_depth {
            out.push_str("{...}");
            return false;
        }
        true
    }

    fn array(&mut self, t: &Desc, buf: &[u8], depth: u32, out: &mut String) {
        if !self.deeper(depth, out) {
            return;
        }
        let n = t.word(self.l.array_len);
        let e = match self.desc(t.word(self.l.type_elem)) {
            Ok(e) => e,
            Err(m) => return out.push_str(&m),
        };
        out.push('{');
        let shown = n.min(self.opts.max_elems);
        for i in 0..shown {
            if out.len() > MAX_TEXT {
                out.push_str("...");
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            let off = i.saturating_mul(e.size);
            match buf.get(off as usize..off.saturating_add(e.size) as usize) {
                Some(b) => self.value(&e, b, depth + 1, out),
                None => {
                    out.push_str("<array: garbage length>");
                    break;
                }
            }
        }
        if shown < n {
            out.push_str("...");
        }
        out.push('}');
    }

    fn slice(&mut self, t: &Desc, ptr: u64, len: u64, depth: u32, out: &mut String) {
        out.push_str(&t.name);
        if ptr == 0 && len == 0 {
            out.push_str(" nil");
            return;
        }
        if len == 0 {
            return;
        }
        out.push_str(" = ");
        if !self.deeper(depth, out) {
            return;
        }
        let e = match self.desc(t.word(self.l.type_elem)) {
            Ok(e) => e,
            Err(m) => return out.push_str(&m),
        };
        let shown = len.min(self.opts.max_elems);
        let bytes = match shown.checked_mul(e.size) {
            Some(b) if b <= self.opts.max_bytes => b,
            _ => {
                let _ = write!(out, "<slice: garbage length {len}>");
                return;
            }
        };
        let buf = match self.rd.bytes(ptr, bytes) {
            Ok(b) => b,
            Err(why) => {
                let _ = write!(out, "<slice: {why}>");
                return;
            }
        };
        out.push('{');
        for i in 0..shown as usize {
            if out.len() > MAX_TEXT {
                out.push_str("...");
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            let sz = e.size as usize;
            if let Some(b) = buf.get(i.saturating_mul(sz)..(i + 1).saturating_mul(sz)) {
                self.value(&e, b, depth + 1, out);
            }
        }
        if shown < len {
            out.push_str("...");
        }
        out.push('}');
    }

    fn string(&mut self, ptr: u64, len: u64, out: &mut String) {
        if len == 0 {
            out.push_str("\"\"");
            return;
        }
        if len > i64::MAX as u64 {
            let _ = write!(out, "<string: garbage length {}>", len as i64);
            return;
        }
        let n = len.min(self.opts.max_string);
        match self.rd.bytes(ptr, n) {
            Ok(b) => out.push_str(&quote(&b, n < len)),
            Err(why) => {
                let _ = write!(out, "<string: {why}>");
            }
        }
    }

    fn structure(&mut self, t: &Desc, buf: &[u8], depth: u32, out: &mut String) {
        if !self.deeper(depth, out) {
            return;
        }
        let l = self.l;
        let fields = t.word(l.struct_fields);
        let n = t.word(l.struct_fields + 8);
        if n > MAX_FIELDS {
            let _ = write!(out, "<struct: garbage field count {n}>");
            return;
        }
        let table = match self.rd.bytes(fields, n * l.struct_field_size) {
            Ok(b) => b,
            Err(why) => {
                let _ = write!(out, "<struct: {why}>");
                return;
            }
        };
        out.push('{');
        for i in 0..n {
            if out.len() > MAX_TEXT {
                out.push_str("...");
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            let base = i * l.struct_field_size;
            let name_ptr = le(&table, base, 8);
            let ftyp = le(&table, base + l.field_typ, 8);
            let off = le(&table, base + l.field_offset, 8);
            let name = read_name(self.rd.mem, name_ptr).unwrap_or_else(|_| format!("_{i}"));
            out.push_str(&name);
            out.push_str(" = ");
            let f = match self.desc(ftyp) {
                Ok(f) => f,
                Err(m) => {
                    out.push_str(&m);
                    continue;
                }
            };
            match buf.get(off as usize..(off.saturating_add(f.size)) as usize) {
                Some(b) => self.value(&f, b, depth + 1, out),
                None => out.push_str("<field outside its struct>"),
            }
        }
        out.push('}');
    }

    fn interface(&mut self, t: &Desc, buf: &[u8], depth: u32, out: &mut String) {
        let (w0, data) = (le(buf, 0, 8), le(buf, 8, 8));
        if w0 == 0 {
            out.push_str("nil");
            return;
        }
        if !self.deeper(depth, out) {
            return;
        }
        // InterfaceType.Methods: an empty interface holds the type, any other an itab.
        let methods = t.word(self.l.struct_fields + 8);
        let typ = if methods == 0 {
            w0
        } else {
            match self.rd.bytes(w0 + self.l.itab_type, 8) {
                Ok(b) => le(&b, 0, 8),
                Err(why) => {
                    let _ = write!(out, "<interface: {why}>");
                    return;
                }
            }
        };
        self.dyn_into(typ, data, depth, out);
    }
}

const KIND_BOOL: u8 = 1;
const KIND_ARRAY: u8 = 17;
const KIND_INTERFACE: u8 = 20;
const KIND_POINTER: u8 = 22;
const KIND_SLICE: u8 = 23;
const KIND_STRING: u8 = 24;
const KIND_STRUCT: u8 = 25;

/// A float as Go's `%v` prints one (`3.5`, `1e+20`, `+Inf`, `NaN`).
fn float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "+Inf" } else { "-Inf" });
    } else if x != 0.0 && (x.abs() >= 1e21 || x.abs() < 1e-4) {
        let s = format!("{x:e}");
        // Rust writes `1e21` / `1.5e-7`; Go writes `1e+21` / `1.5e-07`.
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match e.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', e),
        };
        let _ = write!(out, "{m}e{sign}{digits:0>2}");
    } else {
        let _ = write!(out, "{x}");
    }
}
