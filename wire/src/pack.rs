//! Pack/unpack primitives (placeholder; filled in next commit).
