//! Go-version knowledge for values: where the runtime keeps a map's, a chan's, a type
//! descriptor's and an itab's fields, per release. 64-bit targets (amd64, arm64) only; each
//! table is checked against the DWARF of a fixture built by that release (tests/values.rs).
//!
//! Element geometry (where keys and elements sit in a bucket or a group) is not here: it
//! comes from the binary's own DWARF (`bucket<K,V>`, `group[K]V`) through [`super::Geometry`].

/// Which map implementation a Go release uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    /// `runtime.hmap` with buckets and incremental growth (Go < 1.24, or GOEXPERIMENT=noswissmap).
    Hash,
    /// `internal/runtime/maps.Map`: swiss tables behind a directory (Go >= 1.24).
    Swiss,
}

/// Field offsets of the runtime structures the value readers walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// runtime.hmap: count (int), flags (u8), B (u8), buckets, oldbuckets.
    pub hmap_count: u64,
    /// `hmap.flags`.
    pub hmap_flags: u64,
    /// `hmap.B` (log2 of the bucket count).
    pub hmap_b: u64,
    /// `hmap.buckets`.
    pub hmap_buckets: u64,
    /// `hmap.oldbuckets`.
    pub hmap_oldbuckets: u64,
    /// maps.Map: used (u64), dirPtr, dirLen.
    pub smap_used: u64,
    /// `Map.dirPtr`.
    pub smap_dir_ptr: u64,
    /// `Map.dirLen`.
    pub smap_dir_len: u64,
    /// maps.table: groups.data and groups.lengthMask, and the table header size to read.
    pub table_groups_data: u64,
    /// `table.groups.lengthMask`.
    pub table_length_mask: u64,
    /// runtime.hchan: qcount, dataqsiz, buf, elemsize (u16), closed (u32), recvx.
    pub chan_qcount: u64,
    /// `hchan.dataqsiz`.
    pub chan_dataqsiz: u64,
    /// `hchan.buf`.
    pub chan_buf: u64,
    /// `hchan.elemsize` (u16).
    pub chan_elemsize: u64,
    /// `hchan.closed` (u32).
    pub chan_closed: u64,
    /// `hchan.recvx`.
    pub chan_recvx: u64,
    /// internal/abi.Type: Size_, TFlag (u8), Kind_ (u8), Str (NameOff, i32).
    pub type_size: u64,
    /// `Type.TFlag`.
    pub type_tflag: u64,
    /// `Type.Kind_`.
    pub type_kind: u64,
    /// `Type.Str`.
    pub type_str: u64,
    /// abi.ITab / runtime.itab: Type.
    pub itab_type: u64,
    /// Size of the abi.Type header; the kind-specific part (abi.PtrType, SliceType, ...)
    /// follows it.
    pub type_header: u64,
    /// `PtrType.Elem`, `SliceType.Elem`, `ArrayType.Elem`, `ChanType.Elem`, `MapType.Key`.
    pub type_elem: u64,
    /// `ArrayType.Len`; `MapType.Elem`.
    pub array_len: u64,
    /// `StructType.Fields` (a slice header); `InterfaceType.Methods`.
    pub struct_fields: u64,
    /// Size of one abi.StructField {Name, Typ, Offset}.
    pub struct_field_size: u64,
    /// `StructField.Typ`.
    pub field_typ: u64,
    /// `StructField.Offset`.
    pub field_offset: u64,
}

/// Go < 1.23: hchan without the timer field.
const BASE: Layout = Layout {
    hmap_count: 0,
    hmap_flags: 8,
    hmap_b: 9,
    hmap_buckets: 16,
    hmap_oldbuckets: 24,
    smap_used: 0,
    smap_dir_ptr: 16,
    smap_dir_len: 24,
    table_groups_data: 16,
    table_length_mask: 24,
    chan_qcount: 0,
    chan_dataqsiz: 8,
    chan_buf: 16,
    chan_elemsize: 24,
    chan_closed: 28,
    chan_recvx: 48,
    type_size: 0,
    type_tflag: 20,
    type_kind: 23,
    type_str: 40,
    itab_type: 8,
    type_header: 48,
    type_elem: 48,
    array_len: 64,
    struct_fields: 56,
    struct_field_size: 24,
    field_typ: 8,
    field_offset: 16,
};

/// hmap flag: the map grows to the same size (old and new bucket arrays are equally long).
pub const HMAP_SAME_SIZE_GROW: u8 = 8;
/// Hash bucket tophash values: below this a slot is empty or evacuated.
pub const MIN_TOP_HASH: u8 = 5;
/// Hash bucket tophash values marking an evacuated old bucket (evacuatedX..evacuatedEmpty).
pub const EVACUATED: std::ops::RangeInclusive<u8> = 2..=4;
/// A map key or element larger than this many bytes sits behind a pointer in its bucket or
/// group slot (abi.MapMaxKeyBytes / MapMaxElemBytes).
pub const MAP_MAX_INLINE_BYTES: u64 = 128;
/// Slots per hash bucket and per swiss group.
pub const SLOTS: u64 = 8;
/// Swiss control byte: the high bit is set for empty (0x80) and deleted (0xFE) slots.
pub const CTRL_EMPTY_BIT: u8 = 0x80;
/// abi.TFlag: the name in Str has a leading '*' to drop.
pub const TFLAG_EXTRA_STAR: u8 = 1 << 1;
/// abi.Name flag byte: the field is embedded (its name is its type's name).
pub const NAME_EMBEDDED: u8 = 1 << 3;
/// Direct-interface bit: in Kind_ up to Go 1.25, in TFlag from Go 1.26 (both checked).
pub const DIRECT_IFACE: u8 = 1 << 5;
/// abi.Kind values below this mask (the rest are flag bits before Go 1.26).
pub const KIND_MASK: u8 = (1 << 5) - 1;

/// The layout for Go `major.minor` (1.x), and its map implementation.
pub fn for_version(minor: u32) -> (Layout, MapKind) {
    let mut l = BASE;
    if minor >= 23 {
        // hchan gained `timer *timer` before elemtype (Go 1.23).
        l.chan_recvx = 56;
    }
    let kind = if minor >= 24 {
        MapKind::Swiss
    } else {
        MapKind::Hash
    };
    (l, kind)
}

/// `1.24` from `go1.24.11` (None for devel or unparsable versions).
pub fn minor_of(go_version: &str) -> Option<u32> {
    let rest = go_version.strip_prefix("go1.")?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Kind names for the abi.Kind values, indexed by kind (for types without a readable name).
pub const KIND_NAMES: [&str; 27] = [
    "invalid",
    "bool",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "array",
    "chan",
    "func",
    "interface",
    "map",
    "pointer",
    "slice",
    "string",
    "struct",
    "unsafe.Pointer",
];
