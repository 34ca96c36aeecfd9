//! One file per `cargo xtask` command: parse nothing, decide little, call the layers below.

pub mod adopt;
pub mod bench;
pub mod ci;
pub mod codegen;
pub mod dist;
pub mod doctor;
pub mod keygen;
pub mod merge;
pub mod plan;
pub mod push_image;
pub mod rename;
pub mod repo;
pub mod reproduce;
pub mod setup;
pub mod symlinks;
pub mod test;
pub mod verify;
