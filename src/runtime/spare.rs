//! The spare-record pool: the emptied record vectors of dropped enumerations, kept (up to
//! a bound) for the next enumeration's chunks, whose fresh pages would otherwise cost a
//! fifth of a snapshot at 100,000 goroutines.

use super::{Goroutine, Goroutines};

/// Record vectors of dropped enumerations, emptied, for the next one: their pages stay
/// mapped (at 100,000 goroutines fresh record pages are a tenth of an enumeration), at most
/// [`SPARE_RECORDS_MAX`] bytes of them.
static SPARE_RECORDS: std::sync::Mutex<Vec<Vec<Goroutine>>> = std::sync::Mutex::new(Vec::new());

/// What [`SPARE_RECORDS`] may keep between enumerations.
const SPARE_RECORDS_MAX: usize = 48 << 20;

/// A vector for at least `n` records: a spare one when there is one (not for a handful).
pub(super) fn record_vec(n: usize) -> Vec<Goroutine> {
    if n < 64 {
        return Vec::with_capacity(n);
    }
    let spare = SPARE_RECORDS.lock().ok().and_then(|mut s| {
        let i = s.iter().position(|v| v.capacity() >= n)?;
        Some(s.swap_remove(i))
    });
    spare.unwrap_or_else(|| Vec::with_capacity(n))
}

impl Drop for Goroutines {
    fn drop(&mut self) {
        let mut parts = std::mem::take(&mut self.0);
        for p in &mut parts {
            p.clear();
        }
        let Ok(mut spare) = SPARE_RECORDS.lock() else {
            return;
        };
        let size = std::mem::size_of::<Goroutine>();
        let mut kept: usize = spare.iter().map(|v| v.capacity() * size).sum();
        for p in parts {
            if p.capacity() > 0 && kept + p.capacity() * size <= SPARE_RECORDS_MAX {
                kept += p.capacity() * size;
                spare.push(p);
            }
        }
    }
}

impl From<Vec<Goroutine>> for Goroutines {
    fn from(gs: Vec<Goroutine>) -> Self {
        Goroutines(vec![gs])
    }
}
