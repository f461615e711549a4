//! Reading the debuggee's memory. One trait, many backings (live /proc/PID/mem, ELF core,
//! a Python callback for gdb's inferior, an in-memory fake, a page cache), designed for
//! batched reads from the start.
