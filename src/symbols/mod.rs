//! The symbol facade: one API over DWARF (when present) and the pclntab (always).
