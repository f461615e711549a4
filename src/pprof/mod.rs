//! pprof profiles (profile.proto, gzipped) as `runtime/pprof` writes its count profiles
//! (`printCountProfile`, debug=0): a pure function from samples to bytes.
//!
//! The encoder is a small writer of the few messages a count profile has, like
//! runtime/pprof's own `protobuf.go`: varints and length-delimited fields, nested messages
//! built in a scratch buffer. [`goroutines`] turns goroutine records into samples.

pub mod goroutines;

use std::collections::HashMap;
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

/// One source line of a location: a function, where it starts, and the line executing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Line {
    /// Function name (also the system name).
    pub func: String,
    /// Source file of the function.
    pub file: String,
    /// The function's first line (0 if unknown).
    pub start_line: i64,
    /// The line.
    pub line: i64,
}

/// A location: an address and its lines, an inlined call being several lines (innermost
/// first, the physical function last).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Loc {
    /// The address (of the call instruction for a caller's frame).
    pub address: u64,
    /// The lines at it.
    pub lines: Vec<Line>,
}

/// One sample: a stack (innermost first), string labels and a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Locations, innermost first.
    pub stack: Vec<Loc>,
    /// String labels (key, value), in the order written.
    pub labels: Vec<(String, String)>,
    /// The sample's value.
    pub count: i64,
}

/// The executable's mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// End address (exclusive).
    pub limit: u64,
    /// File offset of `start`.
    pub offset: u64,
    /// The file's path.
    pub file: String,
    /// Build id (hex).
    pub build_id: String,
}

/// A count profile: `name`/`count` sample and period type, period 1.
#[derive(Debug, Clone, Default)]
pub struct CountProfile {
    /// The sample type's name (`goroutine`).
    pub name: String,
    /// Samples, in the order written.
    pub samples: Vec<Sample>,
    /// Mappings; a location falls in the first that contains its address.
    pub mappings: Vec<Mapping>,
    /// When the profile was taken (nanoseconds since the Unix epoch).
    pub time_nanos: i64,
}

// Field numbers of profile.proto.
const PROFILE_SAMPLE_TYPE: u32 = 1;
const PROFILE_SAMPLE: u32 = 2;
const PROFILE_MAPPING: u32 = 3;
const PROFILE_LOCATION: u32 = 4;
const PROFILE_FUNCTION: u32 = 5;
const PROFILE_STRING_TABLE: u32 = 6;
const PROFILE_TIME_NANOS: u32 = 9;
const PROFILE_PERIOD_TYPE: u32 = 11;
const PROFILE_PERIOD: u32 = 12;

/// A protobuf message being written.
#[derive(Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire));
    }

    /// A varint field, left out when zero (proto3 default).
    fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.key(field, 0);
            self.varint(v);
        }
    }

    fn int(&mut self, field: u32, v: i64) {
        self.uint(field, v as u64);
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    /// A repeated varint field: packed from three values on, as runtime/pprof writes it.
    fn uints(&mut self, field: u32, vs: &[u64]) {
        if vs.len() > 2 {
            let mut inner = Msg::default();
            for v in vs {
                inner.varint(*v);
            }
            self.bytes(field, &inner.0);
        } else {
            for v in vs {
                self.key(field, 0);
                self.varint(*v);
            }
        }
    }
}

/// The string table: index 0 is "".
struct Strings {
    index: HashMap<String, i64>,
    list: Vec<String>,
}

impl Strings {
    fn new() -> Self {
        let mut s = Strings {
            index: HashMap::new(),
            list: Vec::new(),
        };
        s.get("");
        s
    }

    fn get(&mut self, s: &str) -> i64 {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = self.list.len() as i64;
        self.index.insert(s.to_owned(), i);
        self.list.push(s.to_owned());
        i
    }
}

fn value_type(out: &mut Msg, field: u32, strings: &mut Strings, typ: &str, unit: &str) {
    let mut m = Msg::default();
    m.int(1, strings.get(typ));
    m.int(2, strings.get(unit));
    out.bytes(field, &m.0);
}

/// The profile, gzipped, laid out as `runtime/pprof` writes a count profile: period type,
/// period, sample type, the samples, then locations and functions, time, mappings and the
/// string table.
pub fn write_count_profile(p: &CountProfile) -> Vec<u8> {
    let mut out = Msg::default();
    let mut strings = Strings::new();
    value_type(
        &mut out,
        PROFILE_PERIOD_TYPE,
        &mut strings,
        &p.name,
        "count",
    );
    out.int(PROFILE_PERIOD, 1);
    value_type(
        &mut out,
        PROFILE_SAMPLE_TYPE,
        &mut strings,
        &p.name,
        "count",
    );

    let mut locs: HashMap<&Loc, u64> = HashMap::new();
    let mut loc_order: Vec<&Loc> = Vec::new();
    let mut ids = Vec::new();
    for s in &p.samples {
        ids.clear();
        for l in &s.stack {
            let next = locs.len() as u64 + 1;
            let id = *locs.entry(l).or_insert_with(|| {
                loc_order.push(l);
                next
            });
            ids.push(id);
        }
        let mut m = Msg::default();
        m.uints(1, &ids);
        m.uints(2, &[s.count as u64]);
        for (k, v) in &s.labels {
            let mut lm = Msg::default();
            lm.int(1, strings.get(k));
            lm.int(2, strings.get(v));
            m.bytes(3, &lm.0);
        }
        out.bytes(PROFILE_SAMPLE, &m.0);
    }

    let mut funcs: HashMap<&str, u64> = HashMap::new();
    let mut func_msgs = Msg::default();
    for (i, l) in loc_order.iter().enumerate() {
        let mut m = Msg::default();
        m.uint(1, i as u64 + 1);
        if let Some(j) = p
            .mappings
            .iter()
            .position(|mp| mp.start <= l.address && l.address < mp.limit)
        {
            m.uint(2, j as u64 + 1);
        }
        m.uint(3, l.address);
        for line in &l.lines {
            let id = match funcs.get(line.func.as_str()) {
                Some(id) => *id,
                None => {
                    let id = funcs.len() as u64 + 1;
                    funcs.insert(&line.func, id);
                    let mut f = Msg::default();
                    f.uint(1, id);
                    let name = strings.get(&line.func);
                    f.int(2, name);
                    f.int(3, name);
                    f.int(4, strings.get(&line.file));
                    f.int(5, line.start_line);
                    func_msgs.bytes(PROFILE_FUNCTION, &f.0);
                    id
                }
            };
            let mut lm = Msg::default();
            lm.uint(1, id);
            lm.int(2, line.line);
            m.bytes(4, &lm.0);
        }
        out.bytes(PROFILE_LOCATION, &m.0);
    }
    out.0.extend_from_slice(&func_msgs.0);
    out.int(PROFILE_TIME_NANOS, p.time_nanos);
    for (i, mp) in p.mappings.iter().enumerate() {
        let mut m = Msg::default();
        m.uint(1, i as u64 + 1);
        m.uint(2, mp.start);
        m.uint(3, mp.limit);
        m.uint(4, mp.offset);
        m.int(5, strings.get(&mp.file));
        m.int(6, strings.get(&mp.build_id));
        m.uint(7, 1); // has_functions: every location is symbolized
        out.bytes(PROFILE_MAPPING, &m.0);
    }
    for s in &strings.list {
        out.bytes(PROFILE_STRING_TABLE, s.as_bytes());
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(&out.0);
    gz.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    /// A field of a decoded message: a varint or bytes.
    #[derive(Debug, Clone)]
    enum F {
        V(u64),
        B(Vec<u8>),
    }

    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let x = b[*i];
            *i += 1;
            v |= u64::from(x & 0x7f) << shift;
            if x < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    /// The fields of one message, in order.
    fn fields(b: &[u8]) -> Vec<(u32, F)> {
        let (mut i, mut out) = (0, Vec::new());
        while i < b.len() {
            let k = varint(b, &mut i);
            let f = match k & 7 {
                0 => F::V(varint(b, &mut i)),
                2 => {
                    let n = varint(b, &mut i) as usize;
                    i += n;
                    F::B(b[i - n..i].to_vec())
                }
                w => panic!("wire type {w}"),
            };
            out.push(((k >> 3) as u32, f));
        }
        out
    }

    fn get(fs: &[(u32, F)], n: u32) -> Vec<F> {
        fs.iter()
            .filter(|(k, _)| *k == n)
            .map(|(_, f)| f.clone())
            .collect()
    }

    fn v(fs: &[(u32, F)], n: u32) -> u64 {
        match get(fs, n).first() {
            Some(F::V(x)) => *x,
            _ => 0,
        }
    }

    fn msgs(fs: &[(u32, F)], n: u32) -> Vec<Vec<(u32, F)>> {
        get(fs, n)
            .into_iter()
            .map(|f| match f {
                F::B(b) => fields(&b),
                F::V(_) => panic!("not a message"),
            })
            .collect()
    }

    fn packed(fs: &[(u32, F)], n: u32) -> Vec<u64> {
        let mut out = Vec::new();
        for f in get(fs, n) {
            match f {
                F::B(b) => {
                    let mut i = 0;
                    while i < b.len() {
                        out.push(varint(&b, &mut i));
                    }
                }
                F::V(x) => out.push(x),
            }
        }
        out
    }

    /// A decoded location's (function, line)s.
    type DecodedLines = Vec<(String, u64)>;
    /// A decoded sample: values, stack of (address, "", lines), labels.
    type DecodedSample = (
        Vec<u64>,
        Vec<(u64, String, DecodedLines)>,
        Vec<(String, String)>,
    );

    fn line(func: &str, line: i64) -> Line {
        Line {
            func: func.into(),
            file: format!("/src/{func}.go"),
            start_line: 10,
            line,
        }
    }

    #[test]
    fn a_profile_decodes_back_to_its_samples() {
        let park = Loc {
            address: 0x401000,
            lines: vec![line("runtime.gopark", 435)],
        };
        // An inlined call: two lines of one location, innermost first.
        let inl = Loc {
            address: 0x402000,
            lines: vec![line("main.inner", 20), line("main.outer", 30)],
        };
        let p = CountProfile {
            name: "goroutine".into(),
            samples: vec![
                Sample {
                    stack: vec![park.clone(), inl.clone()],
                    labels: vec![("k".into(), "v".into())],
                    count: 7,
                },
                Sample {
                    stack: vec![park.clone()],
                    labels: vec![],
                    count: 1,
                },
            ],
            mappings: vec![Mapping {
                start: 0x400000,
                limit: 0x500000,
                offset: 0,
                file: "/bin/x".into(),
                build_id: "abc".into(),
            }],
            time_nanos: 1_700_000_000_000_000_000,
        };
        let gz = write_count_profile(&p);
        let mut raw = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut raw).unwrap();
        let top = fields(&raw);
        let strs: Vec<String> = get(&top, 6)
            .into_iter()
            .map(|f| match f {
                F::B(b) => String::from_utf8(b).unwrap(),
                F::V(_) => panic!(),
            })
            .collect();
        assert_eq!(strs[0], "");
        let s = |i: u64| strs[i as usize].clone();
        for n in [1, 11] {
            let vt = &msgs(&top, n)[0];
            assert_eq!(
                (s(v(vt, 1)), s(v(vt, 2))),
                ("goroutine".into(), "count".into())
            );
        }
        assert_eq!(v(&top, 12), 1);
        assert_eq!(v(&top, 9), 1_700_000_000_000_000_000);
        let funcs: HashMap<u64, (String, String, String, u64)> = msgs(&top, 5)
            .iter()
            .map(|f| (v(f, 1), (s(v(f, 2)), s(v(f, 3)), s(v(f, 4)), v(f, 5))))
            .collect();
        let maps = msgs(&top, 3);
        assert_eq!(maps.len(), 1);
        assert_eq!((v(&maps[0], 2), v(&maps[0], 3)), (0x400000, 0x500000));
        assert_eq!(
            (s(v(&maps[0], 5)), s(v(&maps[0], 6))),
            ("/bin/x".into(), "abc".into())
        );
        let locs: HashMap<u64, (u64, u64, DecodedLines)> = msgs(&top, 4)
            .iter()
            .map(|l| {
                let lines = msgs(l, 4)
                    .iter()
                    .map(|ln| (funcs[&v(ln, 1)].0.clone(), v(ln, 2)))
                    .collect();
                (v(l, 1), (v(l, 2), v(l, 3), lines))
            })
            .collect();
        assert_eq!(locs.len(), 2, "the shared location is written once");
        let samples = msgs(&top, 2);
        assert_eq!(samples.len(), 2);
        let decoded: Vec<DecodedSample> = samples
            .iter()
            .map(|sm| {
                let stack = packed(sm, 1)
                    .iter()
                    .map(|id| {
                        let (m, a, ls) = &locs[id];
                        assert_eq!(*m, 1);
                        (*a, String::new(), ls.clone())
                    })
                    .collect();
                let labels = msgs(sm, 3)
                    .iter()
                    .map(|l| (s(v(l, 1)), s(v(l, 2))))
                    .collect();
                (packed(sm, 2), stack, labels)
            })
            .collect();
        assert_eq!(decoded[0].0, vec![7]);
        assert_eq!(
            decoded[0].1,
            vec![
                (
                    0x401000,
                    String::new(),
                    vec![("runtime.gopark".into(), 435)]
                ),
                (
                    0x402000,
                    String::new(),
                    vec![("main.inner".into(), 20), ("main.outer".into(), 30)]
                ),
            ]
        );
        assert_eq!(decoded[0].2, vec![("k".to_string(), "v".to_string())]);
        assert_eq!(decoded[1].0, vec![1]);
        assert!(decoded[1].2.is_empty());
        let (name, sys, file, start) = &funcs[&1];
        assert_eq!(
            (name.as_str(), sys.as_str(), file.as_str(), *start),
            (
                "runtime.gopark",
                "runtime.gopark",
                "/src/runtime.gopark.go",
                10
            )
        );
    }
}
