//! Shared by the fuzz targets: see [`families`].

pub mod families;
