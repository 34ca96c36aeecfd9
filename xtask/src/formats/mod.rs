//! Model in, bytes out: the files a release is made of. No `Shell`, no policy.

pub mod archive;
pub mod changelog;
pub mod checksums;
pub mod installer;
pub mod linux_package;
pub mod minisign;
pub mod oci;
pub mod repository;
pub mod sbom;
pub mod tarball;
