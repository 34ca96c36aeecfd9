//! The indexes of package repositories a release's packages are served from as static files:
//! an apt repository (`apt.rs`) and a yum/dnf one (`yum.rs`). Packages in, index bytes out;
//! signing them is the caller's.

pub mod apt;
pub mod yum;

/// One package file in a repository: where it is (relative to the repository's root), its
/// size and SHA-256.
pub struct PoolFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// An index file to write: its path relative to the repository's root, and its bytes.
pub struct IndexFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl IndexFile {
    pub fn sha256(&self) -> String {
        crate::formats::checksums::sha256_bytes(&self.bytes)
    }
}
