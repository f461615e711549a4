//! The numbers that cross the core's modules typed, so one cannot stand for another (as
//! gimli types its offsets): a goroutine id ([`GoId`]), a program counter ([`Pc`]) and the
//! address of a runtime object ([`Addr`]). Each wraps a `u64` (`.0` for arithmetic inside a
//! module); they print as the number (`Pc` and `Addr` also in hex with `{:#x}`).

use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }

        impl From<$name> for u64 {
            fn from(v: $name) -> u64 {
                v.0
            }
        }
    };
}

id!(
    /// A goroutine id (`runtime.g.goid`; 0 for an unreadable record).
    GoId
);
id!(
    /// A program counter, relocated (a run-time address of code).
    Pc
);
id!(
    /// The run-time address of a runtime object (a `runtime.g`, a channel, a sudog).
    Addr
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn they_print_as_their_number() {
        assert_eq!(GoId(42).to_string(), "42");
        assert_eq!(format!("{:#x}", Pc(0x401000)), "0x401000");
        assert_eq!(format!("{:x}", Addr(0xc000)), "c000");
        assert_eq!(u64::from(Addr(7)), 7);
        assert!(GoId(1) < GoId(2));
    }
}
