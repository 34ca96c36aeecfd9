//! Command-line flags of `cargo xtask`. Values are typed here, so a bad one is a usage error
//! before anything runs.

use std::path::PathBuf;
use std::str::FromStr;

use crate::config::builder::BuilderChoice;
use crate::config::glibc::GlibcVersion;
use crate::config::target::Target;

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
        /// What ships: every configured target, its builder, runner, packages and archives.
        cmd plan {
            /// One line of JSON, which the workflows take their matrices from.
            optional --json
            /// Print the version's section of CHANGELOG.md: the GitHub release's notes.
            optional --release-notes
            /// Every architecture and C library the table offers instead of the configured
            /// targets, at the default floor: the matrix of the every-arch workflow.
            optional --every-arch
        }
        /// Rewrite every generated file from its source (the release policy, TestArea, the CLI).
        cmd codegen {
            /// Write nothing; fail if a generated file is out of date.
            optional --check
        }
        /// Build, verify, smoke-run and package every configured target.
        cmd dist {
            /// Target triple to build (repeatable); default: the configured list.
            repeated --target target: Target
            /// auto, cargo, zigbuild or cross.
            optional --builder builder: BuilderChoice
            /// Where archives, checksums and the manifest go (default target/dist).
            optional --out-dir out_dir: PathBuf
            /// human or json.
            optional --message-format message_format: MessageFormat
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
            /// The release is to be published: refuse to leave it unsigned unless the policy allows it.
            optional --publish
        }
        /// Add releases' .deb and .rpm packages to the signed apt and dnf repositories in --out.
        cmd repo {
            /// Release directories (dist or merge outputs).
            repeated releases: PathBuf
            /// The URL the repository directory is served from (the .sources and .repo files name it).
            required --base-url base_url: String
            /// The repository directory, created or updated.
            required --out out: PathBuf
        }
        /// Rebuild the release in DIR from its manifest's commit and compare every file byte for byte.
        cmd reproduce {
            required dir: PathBuf
            /// Rebuild only this target (repeatable); default: every target of the release.
            repeated --target target: Target
            /// Rebuild even when this machine's toolchain differs from the recorded one.
            optional --allow-toolchain-drift
        }
        /// Make a minisign key pair for signing releases: DIR/minisign.key and DIR/minisign.pub.
        cmd keygen {
            required --out out: PathBuf
        }
        /// Push the release's OCI image, every platform, to a container registry with skopeo.
        cmd push-image {
            /// The release directory, with release-manifest.json and the image (e.g. target/dist).
            required dir: PathBuf
            /// REGISTRY/OWNER/NAME (default: ghcr.io/$GITHUB_REPOSITORY_OWNER/<package>).
            optional --to to: String
            /// Print the skopeo commands without running them.
            optional --dry-run
        }
        /// Check one binary against the release policy of a target.
        cmd verify {
            required file: PathBuf
            required --target target: Target
            /// Highest glibc the binary may require (default: the configured floor).
            optional --glibc-floor glibc_floor: GlibcVersion
        }
        /// Run the shipped package's tests (golden tests included) for every target, or one, through its runner.
        cmd test {
            optional --target target: Target
        }
        /// Measure dist against the plain builder commands and cargo-dist; print ratios.
        cmd bench {
            /// Only dist against the plain builder commands, and the floor.
            optional --builds
        }
        /// Everything CI checks: formatting, clippy, generated files, workflow linters, tests.
        cmd ci {}
        /// Rename the shipped package (directory, crate, binary, archives) in every file.
        cmd rename {
            /// The new package name, e.g. my-tool (Rust code then says my_tool).
            required name: String
        }
        /// Ship the package in PATH (your own CLI, copied into the workspace) instead of the
        /// current one: members, `package`, `include` and the package's keys in Cargo.toml.
        cmd adopt {
            required path: PathBuf
            /// The binary to ship, when the package has several.
            optional --bin bin: String
        }
        /// Recreate TestArea's symbolic links from TestArea/symlinks.txt (after a copy dropped them).
        cmd symlinks {}
    }
}

/// `--message-format`: status lines for people, or one JSON object per line for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageFormat {
    Human,
    Json,
}

impl FromStr for MessageFormat {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<MessageFormat> {
        match s {
            "human" => Ok(MessageFormat::Human),
            "json" => Ok(MessageFormat::Json),
            other => anyhow::bail!("unknown --message-format `{other}`: expected human or json"),
        }
    }
}
