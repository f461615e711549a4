//! Bytes -> Pclntab + queries. The input is a pclntab; its last 256 bytes (when the input
//! is longer than 1 KiB) double as the gofunc area so the inline-tree reader is reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wslgo::pclntab::Pclntab;

fuzz_target!(|data: &[u8]| {
    let gofunc = if data.len() > 1024 {
        data[data.len() - 256..].to_vec()
    } else {
        Vec::new()
    };
    let Ok(t) = Pclntab::from_bytes(data.to_vec(), None, gofunc) else {
        return;
    };
    let mut names = 0usize;
    for f in t.funcs().take(256) {
        names += t.name(&f).len();
        let mid = f.entry.wrapping_add(f.end.wrapping_sub(f.entry) / 2);
        for pc in [f.entry, mid, f.end.wrapping_sub(1)] {
            let _ = t.file_line(&f, pc);
            let _ = t.sp_delta(&f, pc);
            let _ = t.frames(&f, pc);
            let _ = t.frame_maps(&f, pc);
        }
        let _ = t.sp_table(&f);
        let _ = t.func_kind(&f);
        let _ = t.func_for_pc(mid);
    }
    let _ = t.func_by_name("runtime.goexit");
    let _ = t.func_for_pc(t.text_start().wrapping_add(names as u64));
    let _ = t.go_minor();
});
