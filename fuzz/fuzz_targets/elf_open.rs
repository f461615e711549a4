//! Bytes -> Binary::from_bytes + build_info + Pclntab::new and a few queries.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use wslgo::binary::Binary;
use wslgo::pclntab::Pclntab;

fuzz_target!(|data: &[u8]| {
    let Ok(bin) = Binary::from_bytes(data.to_vec()) else {
        return;
    };
    let _ = bin.build_info();
    let _ = bin.build_id_hex();
    let _ = bin.section_data(".debug_info");
    let Ok(t) = Pclntab::new(Arc::new(bin)) else {
        return;
    };
    for f in t.funcs().take(64) {
        let _ = t.name(&f);
        let _ = t.file_line(&f, f.entry);
        let _ = t.sp_delta(&f, f.entry);
        let _ = t.frames(&f, f.entry);
    }
    let _ = t.func_by_name("main.main");
});
