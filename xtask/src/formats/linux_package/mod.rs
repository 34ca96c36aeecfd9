//! The .deb and .rpm writers.

pub mod deb;
pub mod rpm;
