//! The core's error type. Cheap to build, one line to print; the binding layer maps each
//! variant to a Python exception class.

use std::path::PathBuf;
use std::sync::Arc;

/// Every failure of the core. Messages are one line and name the thing that went wrong.
///
/// Cloneable (the OS error is shared behind an `Arc`), so a lazily computed
/// `OnceLock<Result<T, Error>>` hands every caller the same typed error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file we tried to read.
        path: PathBuf,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// The path names something that is not a regular file (a directory, FIFO, device,
    /// socket): the message says what it is. Checked before reading, so nothing blocks.
    #[error("{0}")]
    NotAFile(String),
    /// The bytes are not a well-formed ELF file (or not one we can read).
    #[error("not a readable ELF file: {0}")]
    BadElf(String),
    /// The binary is an ELF file but not a Go program (no .go.buildinfo / .gopclntab).
    #[error("not a Go binary: {0}")]
    NotGo(String),
    /// The binary is a Go program but names no Go release (no build info), and the
    /// release is needed (e.g. to pick a runtime layout when there is no DWARF).
    #[error("{0}")]
    NoGoVersion(String),
    /// The memory (process, core) and the binary do not belong together.
    #[error("{0}")]
    Mismatch(String),
    /// A Go-specific structure (build info, pclntab, runtime data) is malformed.
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// Which structure (e.g. "pclntab", "build info").
        what: &'static str,
        /// What exactly is wrong.
        detail: String,
    },
    /// DWARF is present but could not be parsed.
    #[error("DWARF: {0}")]
    Dwarf(String),
    /// A lookup found nothing (unknown symbol, address outside any function, ...).
    #[error("{0}")]
    NotFound(String),
    /// Memory of the debuggee could not be read.
    #[error("cannot read {len} bytes of memory at {addr:#x}: {reason}")]
    Memory {
        /// Start address of the failed read.
        addr: u64,
        /// Length of the failed read.
        len: usize,
        /// Why it failed.
        reason: String,
    },
    /// The input is valid but uses something we do not support yet.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Bad user input (a config file, a launch.json, a path-map rule): one line, `origin: why`.
    #[error("{0}")]
    BadInput(String),
}

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// Shorthand for [`Error::Corrupt`].
    pub fn corrupt(what: &'static str, detail: impl Into<String>) -> Self {
        Error::Corrupt {
            what,
            detail: detail.into(),
        }
    }
}

/// The message of a caught panic (`catch_unwind`'s or a joined thread's payload).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_clone_with_their_kind_and_message() {
        let e = Error::io(
            "/x",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        let c = e.clone();
        assert_eq!(c.to_string(), "/x: gone");
        match c {
            Error::Io { source, .. } => assert_eq!(source.kind(), std::io::ErrorKind::NotFound),
            other => panic!("kind lost: {other:?}"),
        }
        let m = Error::Mismatch("core c was not written by b".into());
        assert!(matches!(m.clone(), Error::Mismatch(_)));
        assert_eq!(m.to_string(), "core c was not written by b");
    }
}
