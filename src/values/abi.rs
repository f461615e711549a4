//! Go's register ABI (ABIInternal, Go 1.17+ on amd64, 1.18+ on arm64) for results: which
//! registers hold each result when a function returns, by the assignment rules of Go's
//! `src/cmd/compile/abi-internal.md`. Results are assigned in order, from the first integer
//! and the first floating-point register; a result that does not fit (an array of more than
//! one element, or too few registers left) goes to the stack and gives back the registers
//! it took.

/// One scalar of a result's value, in memory order: what its type flattens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// An integer, boolean, pointer (also a string's, slice's or interface's words):
    /// `size` bytes at `offset` in the value.
    Int {
        /// Byte offset in the value.
        offset: u64,
        /// Bytes (at most a pointer's).
        size: u64,
    },
    /// A float32 or float64 (a complex number is two).
    Float {
        /// Byte offset in the value.
        offset: u64,
        /// Bytes (4 or 8).
        size: u64,
    },
    /// A part no register can hold (an array of more than one element).
    Unassignable,
}

/// The architectures of Go's register ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86-64.
    Amd64,
    /// AArch64.
    Arm64,
}

impl Arch {
    /// The integer result registers, in assignment order (gdb's names).
    pub fn int_regs(self) -> &'static [&'static str] {
        match self {
            Arch::Amd64 => &["rax", "rbx", "rcx", "rdi", "rsi", "r8", "r9", "r10", "r11"],
            Arch::Arm64 => &[
                "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
                "x13", "x14", "x15",
            ],
        }
    }

    /// The floating-point result registers, in assignment order (gdb's names).
    pub fn float_regs(self) -> &'static [&'static str] {
        match self {
            Arch::Amd64 => &[
                "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
            ],
            Arch::Arm64 => &[
                "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
                "v13", "v14", "v15",
            ],
        }
    }

    /// The architecture of a gdb architecture name (`i386:x86-64`, `aarch64`), or None.
    pub fn of_name(name: &str) -> Option<Arch> {
        if name.contains("x86-64") {
            Some(Arch::Amd64)
        } else if name.contains("aarch64") {
            Some(Arch::Arm64)
        } else {
            None
        }
    }
}

/// Where one leaf of a result is: `size` bytes at `offset` in the value come from the low
/// bytes of register `reg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// gdb's name of the register.
    pub reg: &'static str,
    /// True for a floating-point register.
    pub float: bool,
    /// Byte offset in the value.
    pub offset: u64,
    /// Bytes.
    pub size: u64,
}

/// The registers of each result (each given as its [`Leaf`]s), or None for a result on the
/// stack.
pub fn assign_results(arch: Arch, results: &[Vec<Leaf>]) -> Vec<Option<Vec<Piece>>> {
    let (ints, floats) = (arch.int_regs(), arch.float_regs());
    let (mut i, mut f) = (0usize, 0usize);
    let mut out = Vec::with_capacity(results.len());
    for leaves in results {
        let (i0, f0) = (i, f);
        let mut pieces = Vec::with_capacity(leaves.len());
        let mut fits = true;
        for leaf in leaves {
            let piece = match *leaf {
                Leaf::Int { offset, size } => ints.get(i).map(|&reg| {
                    i += 1;
                    Piece {
                        reg,
                        float: false,
                        offset,
                        size,
                    }
                }),
                Leaf::Float { offset, size } => floats.get(f).map(|&reg| {
                    f += 1;
                    Piece {
                        reg,
                        float: true,
                        offset,
                        size,
                    }
                }),
                Leaf::Unassignable => None,
            };
            match piece {
                Some(p) => pieces.push(p),
                None => {
                    fits = false;
                    break;
                }
            }
        }
        if fits {
            out.push(Some(pieces));
        } else {
            (i, f) = (i0, f0);
            out.push(None);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(offset: u64) -> Leaf {
        Leaf::Int { offset, size: 8 }
    }

    fn regs(r: &Option<Vec<Piece>>) -> Vec<&'static str> {
        r.as_ref()
            .map(|p| p.iter().map(|p| p.reg).collect())
            .unwrap_or_default()
    }

    #[test]
    fn results_take_registers_in_order_by_class() {
        // (int, string, float64, []int, error): as Go assigns them on amd64
        let string = vec![int(0), int(8)];
        let slice = vec![int(0), int(8), int(16)];
        let float = vec![Leaf::Float { offset: 0, size: 8 }];
        let got = assign_results(
            Arch::Amd64,
            &[vec![int(0)], string, float, slice, vec![int(0), int(8)]],
        );
        assert_eq!(regs(&got[0]), ["rax"]);
        assert_eq!(regs(&got[1]), ["rbx", "rcx"]);
        assert_eq!(regs(&got[2]), ["xmm0"]);
        assert_eq!(regs(&got[3]), ["rdi", "rsi", "r8"]);
        assert_eq!(regs(&got[4]), ["r9", "r10"]);
        let arm = assign_results(Arch::Arm64, &[vec![int(0)], vec![int(0), int(8)]]);
        assert_eq!(regs(&arm[1]), ["x1", "x2"]);
    }

    #[test]
    fn a_result_that_does_not_fit_goes_to_the_stack_and_gives_its_registers_back() {
        // an array of two ints never fits; the next result still starts at rax
        let got = assign_results(
            Arch::Amd64,
            &[vec![int(0), Leaf::Unassignable], vec![int(0)]],
        );
        assert_eq!(got[0], None);
        assert_eq!(regs(&got[1]), ["rax"]);
        // 9 integer registers: a struct of 10 ints is on the stack, a later int in rax
        let ten: Vec<Leaf> = (0..10).map(|k| int(8 * k)).collect();
        let got = assign_results(Arch::Amd64, &[vec![int(0)], ten, vec![int(0)]]);
        assert_eq!(regs(&got[0]), ["rax"]);
        assert_eq!(got[1], None);
        assert_eq!(regs(&got[2]), ["rbx"]);
        // arm64 has 16: the same struct fits there
        let ten: Vec<Leaf> = (0..10).map(|k| int(8 * k)).collect();
        assert_eq!(regs(&assign_results(Arch::Arm64, &[ten])[0]).len(), 10);
        // an empty result (struct{}) takes nothing
        assert_eq!(assign_results(Arch::Amd64, &[vec![]])[0], Some(vec![]));
    }

    #[test]
    fn architectures_by_gdb_name() {
        assert_eq!(Arch::of_name("i386:x86-64"), Some(Arch::Amd64));
        assert_eq!(Arch::of_name("aarch64"), Some(Arch::Arm64));
        assert_eq!(Arch::of_name("i386"), None);
    }
}
