//! Command-line flags of `cargo xtask`.

use std::path::PathBuf;

xflags::xflags! {
    /// Release automation for this workspace: build, verify and package the shipped binary.
    cmd xtask {
        /// Install what the configured targets need (rustup targets, apt packages, zig).
        cmd setup {
            /// Print the commands instead of running them.
            optional --dry-run
        }
        /// Show, for every configured target, what dist would use and what is missing.
        cmd doctor {}
        /// Build, verify, smoke-run and package every configured target.
        cmd dist {
            /// Target triple to build (repeatable); default: the configured list.
            repeated --target target: String
            /// auto, cargo, zigbuild or cross.
            optional --builder builder: String
            /// Where archives, checksums and the manifest go (default target/dist).
            optional --out-dir out_dir: PathBuf
            /// human or json.
            optional --message-format message_format: String
            /// Do not run the built binaries.
            optional --no-smoke
            /// Print the build commands without running anything.
            optional --dry-run
        }
        /// Merge per-target dist outputs (from separate machines) into one SHA256SUMS and manifest.
        cmd merge {
            /// Directories holding per-target dist outputs.
            repeated inputs: PathBuf
            /// Where the merged files go.
            required --out-dir out_dir: PathBuf
        }
        /// Check one binary against the release policy of a target.
        cmd verify {
            required file: PathBuf
            required --target target: String
            /// Highest glibc the binary may require (default: the configured floor).
            optional --glibc-floor glibc_floor: String
        }
        /// Run the workspace tests, or the shipped package's tests (golden tests included) for a target, through its runner.
        cmd test {
            optional --target target: String
        }
        /// Measure dist against the plain builder commands and cargo-dist; print ratios.
        cmd bench {}
        /// Everything CI checks: formatting, clippy, tests, repository consistency.
        cmd ci {}
        /// Rename the shipped package (directory, crate, binary, archives) in every file.
        cmd rename {
            /// The new package name, e.g. my-tool (Rust code then says my_tool).
            required name: String
        }
        /// Rewrite TestArea/symlinks.txt from TestArea's links, or recreate the listed links.
        cmd symlinks {
            /// Create the listed links that are missing instead of rewriting the list.
            optional --restore
        }
    }
}
