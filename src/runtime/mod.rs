//! The Go runtime model: layouts, goroutine enumeration, status and wait reasons,
//! stack unwinding, grouping.
