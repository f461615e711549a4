//! pprof labels of a goroutine (`g.labels`): before Go 1.24 a pointer to a
//! `map[string]string` (hash map), from 1.24 a pointer to `labelMap{LabelSet{[]label}}`.

use crate::mem::{le_word, Memory, Target};

const MAX_LABELS: usize = 64;
const MAX_STR: u64 = 1024;

fn read_string(mem: &dyn Memory, ptr: u64, len: u64) -> Option<String> {
    if len == 0 {
        return Some(String::new());
    }
    let len = usize::try_from(len.min(MAX_STR)).ok()?;
    let mut b = vec![0u8; len];
    mem.read_into(ptr, &mut b).ok()?;
    Some(String::from_utf8_lossy(&b).into_owned())
}

fn read_pair(mem: &dyn Memory, buf: &[u8], off: usize, p: usize) -> Option<(String, String)> {
    let kp = le_word(buf, off, p)?;
    let kl = le_word(buf, off + p, p)?;
    let vp = le_word(buf, off + 2 * p, p)?;
    let vl = le_word(buf, off + 3 * p, p)?;
    Some((read_string(mem, kp, kl)?, read_string(mem, vp, vl)?))
}

/// Read the labels at `ptr` (the value of `g.labels`); unreadable parts are skipped.
pub(super) fn read(t: &Target<'_>, ptr: u64, slice_form: bool) -> Vec<(String, String)> {
    let (mem, p) = (t.mem, t.ptr_size);
    let mut out = if slice_form {
        read_slice(mem, ptr, p)
    } else {
        read_hmap(mem, ptr, p)
    }
    .unwrap_or_default();
    out.sort();
    out
}

fn read_slice(mem: &dyn Memory, ptr: u64, p: usize) -> Option<Vec<(String, String)>> {
    let mut hdr = vec![0u8; 3 * p];
    mem.read_into(ptr, &mut hdr).ok()?;
    let list = le_word(&hdr, 0, p)?;
    let len = usize::try_from(le_word(&hdr, p, p)?).ok()?.min(MAX_LABELS);
    let mut arr = vec![0u8; len * 4 * p];
    mem.read_into(list, &mut arr).ok()?;
    Some(
        (0..len)
            .filter_map(|i| read_pair(mem, &arr, i * 4 * p, p))
            .collect(),
    )
}

/// Go's classic hash map (Go ≤ 1.23): hmap{count, flags, B, noverflow, hash0, buckets,
/// oldbuckets, ...}; bucket{tophash [8]uint8, keys [8]string, values [8]string, overflow}.
fn read_hmap(mem: &dyn Memory, ptr: u64, p: usize) -> Option<Vec<(String, String)>> {
    let mut w = vec![0u8; p];
    mem.read_into(ptr, &mut w).ok()?;
    let hmap = le_word(&w, 0, p)?;
    if hmap == 0 {
        return Some(Vec::new());
    }
    let mut h = vec![0u8; 2 * p + 8];
    mem.read_into(hmap, &mut h).ok()?;
    let b = *h.get(p + 1)?;
    let buckets = le_word(&h, p + 8, p)?;
    if b > 8 || buckets == 0 {
        return Some(Vec::new());
    }
    let bsize = 8 + 8 * 2 * p * 2 + p;
    let mut out = Vec::new();
    for i in 0..(1u64 << b) {
        let mut at = buckets.checked_add(i * bsize as u64)?;
        for _ in 0..16 {
            let mut bk = vec![0u8; bsize];
            if mem.read_into(at, &mut bk).is_err() {
                break;
            }
            for slot in 0..8 {
                if bk.get(slot).copied().unwrap_or(0) < 5 {
                    continue; // empty or evacuated
                }
                let key = 8 + slot * 2 * p;
                let val = 8 + 8 * 2 * p + slot * 2 * p;
                let k = (le_word(&bk, key, p)?, le_word(&bk, key + p, p)?);
                let v = (le_word(&bk, val, p)?, le_word(&bk, val + p, p)?);
                if let (Some(k), Some(v)) = (read_string(mem, k.0, k.1), read_string(mem, v.0, v.1))
                {
                    out.push((k, v));
                }
                if out.len() >= MAX_LABELS {
                    return Some(out);
                }
            }
            match le_word(&bk, bsize - p, p) {
                Some(0) | None => break,
                Some(next) => at = next,
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::FakeMemory;

    fn put_str(m: &mut FakeMemory, at: u64, s: &str) -> (u64, u64) {
        m.map(at, s.as_bytes().to_vec());
        (at, s.len() as u64)
    }

    fn tgt(m: &FakeMemory) -> Target<'_> {
        Target {
            mem: m,
            bias: 0,
            ptr_size: 8,
            arch: crate::binary::Arch::Amd64,
        }
    }

    fn words(ws: &[u64]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn slice_form_go_1_24() {
        let mut m = FakeMemory::new();
        let k1 = put_str(&mut m, 0x9000, "worker");
        let v1 = put_str(&mut m, 0x9100, "grstates");
        let k2 = put_str(&mut m, 0x9200, "shard");
        let v2 = put_str(&mut m, 0x9300, "7");
        m.map(0x5000, words(&[0x6000, 2, 2])); // labelMap{LabelSet{list}}
        m.map(
            0x6000,
            words(&[k1.0, k1.1, v1.0, v1.1, k2.0, k2.1, v2.0, v2.1]),
        );
        let got = read(&tgt(&m), 0x5000, true);
        assert_eq!(
            got,
            vec![
                ("shard".into(), "7".into()),
                ("worker".into(), "grstates".into())
            ]
        );
    }

    #[test]
    fn hash_map_form_before_1_24() {
        let mut m = FakeMemory::new();
        let k = put_str(&mut m, 0x9000, "k");
        let v = put_str(&mut m, 0x9100, "value");
        // *labelMap -> map pointer -> hmap{count=1, flags, B=0, ..., buckets}
        m.map(0x5000, words(&[0x5100]));
        let mut hmap = words(&[1, 0, 0x7000, 0, 0, 0]);
        hmap[9] = 0; // B
        m.map(0x5100, hmap);
        let mut bucket = vec![0u8; 8 + 128 + 128 + 8];
        bucket[3] = 0x9a; // tophash of slot 3: occupied
        bucket[1] = 1; // emptyOne: skipped
        bucket[8 + 3 * 16..8 + 3 * 16 + 16].copy_from_slice(&words(&[k.0, k.1]));
        bucket[136 + 3 * 16..136 + 3 * 16 + 16].copy_from_slice(&words(&[v.0, v.1]));
        m.map(0x7000, bucket);
        assert_eq!(
            read(&tgt(&m), 0x5000, false),
            vec![("k".into(), "value".into())]
        );
    }

    #[test]
    fn garbage_pointer_gives_no_labels() {
        let m = FakeMemory::new();
        assert!(read(&tgt(&m), 0x1234, true).is_empty());
        assert!(read(&tgt(&m), 0x1234, false).is_empty());
    }
}
