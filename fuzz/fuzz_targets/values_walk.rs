//! Bytes -> the printers' value layer (`wslgo::values`): map walks (hash and swiss), chan
//! queues, dynamic types, values rendered from type descriptors, batched strings and
//! integers, over a fake memory of four 4 KiB regions filled from the input.
//!
//! The regions sit at fixed addresses (0x1000, 0x10000, 0x100000, 0x1000000), so words in the
//! input that happen to be one of them point into the others: headers, buckets, type
//! descriptors and names that refer to each other, cycles included. Every call must return
//! (no panic, bounded time and memory), and every text a printer would show must be free of
//! raw control characters and bidi overrides.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wslgo::mem::FakeMemory;
use wslgo::values::render::{quote, RenderOpts, Renderer};
use wslgo::values::{self, layout, Geometry, Limits, MapKind, StrRead};

const BASES: [u64; 4] = [0x1000, 0x10000, 0x100000, 0x1000000];
const REGION: usize = 4096;

fn clean(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (ctl, rest) = data.split_at(16);
    let mut m = FakeMemory::new();
    for (i, base) in BASES.iter().enumerate() {
        let mut region = vec![0u8; REGION];
        let chunk = rest.chunks(REGION).nth(i).unwrap_or(&[]);
        region[..chunk.len()].copy_from_slice(chunk);
        m.map(*base, region);
    }
    let pick = |b: u8| BASES[usize::from(b) % 4] + u64::from(ctl[15] & 0xf8);
    let minor = [21u32, 23, 24, 27][usize::from(ctl[0]) % 4];
    let (l, kind) = layout::for_version(minor);
    let limits = Limits {
        max_bytes: 1 << 20,
        max_entries: 1 << 12,
    };
    let geo = Geometry {
        group_size: u64::from(ctl[1]) * 8,
        key_base: u64::from(ctl[2]),
        key_stride: u64::from(ctl[3] % 64),
        elem_base: u64::from(ctl[4]),
        elem_stride: u64::from(ctl[5] % 64),
        overflow: u64::from(ctl[6]),
        key_indirect: ctl[7] & 1 != 0,
        elem_indirect: ctl[7] & 2 != 0,
    };
    for k in [kind, MapKind::Hash, MapKind::Swiss] {
        let w = values::map_entries(&m, &l, k, pick(ctl[8]), &geo, limits);
        assert!(w.entries.len() as u64 <= limits.max_entries);
        let _ = values::map_len(&m, &l, k, pick(ctl[8]));
    }
    let q = values::chan_queue(&m, &l, pick(ctl[9]), limits);
    assert!(q.elems.len() as u64 <= limits.max_entries);
    let _ = values::chan_len_cap(&m, &l, pick(ctl[9]));
    let types = BASES[0]..BASES[3] + REGION as u64;
    if let Ok(t) = values::dyn_type(&m, &l, types.clone(), pick(ctl[10])) {
        assert!(clean(&t.name), "{:?}", t.name);
    }
    let opts = RenderOpts {
        max_elems: u64::from(ctl[11]) * 4,
        max_string: u64::from(ctl[12]) * 16,
        ..RenderOpts::default()
    };
    let text = Renderer::new(&m, &l, types, opts).dynamic(pick(ctl[10]), pick(ctl[13]));
    assert!(text.len() <= (2 << 20), "{}", text.len());
    assert!(clean(&text), "{text:?}");
    let addrs: Vec<u64> = (0..8).map(|i| pick(ctl[14]) + 16 * i).collect();
    let mut total = 0;
    for s in values::read_strings(&m, &addrs, u64::MAX, 1 << 16) {
        if let StrRead::Bytes(b, n) = s {
            total += b.len();
            assert!(clean(&quote(&b, n > b.len() as u64)));
        }
    }
    assert!(total <= 1 << 16);
    let _ = values::read_ints(&m, &addrs, usize::from(ctl[14] % 9), ctl[14] & 1 != 0);
});
