//! `release-manifest.json`: what was released, built how, and the verified facts of each binary.
//! Typed, written by dist, read by merge and bench; its JSON Schema is
//! `xtask/release-manifest.schema.json`. Named so that no cargo-dist tool mistakes it for a
//! `dist-manifest.json`, whose schema is another.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use serde::{Deserialize, Serialize};

use crate::config::builder::Builder;
use crate::config::policy::{Policy, Smoke};

pub const FILE_NAME: &str = "release-manifest.json";
/// Bumped when a field changes meaning or disappears; adding fields keeps it.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema_version: u32,
    pub name: String,
    pub version: String,
    pub package: PackageInfo,
    /// The minisign key `[package.metadata.binstall.signing]` declares: what install.sh and
    /// cargo-binstall check `<file>.sig` against. `signing` says whether this build signed.
    pub minisign_pubkey: Option<String>,
    /// Files that differed from the commit when the release was built (`git status`): a
    /// release with any cannot be rebuilt from its commit.
    pub dirty: Vec<String>,
    /// The commit the release was built from, when built from a git checkout.
    pub commit: Option<String>,
    pub toolchain: Toolchain,
    /// Every timestamp inside the release files.
    pub source_date_epoch: u64,
    pub targets: Vec<TargetEntry>,
    /// Files of the release as a whole, made from every target's (installer, image).
    pub files: Vec<Artifact>,
    /// The key every file's `<file>.sig` was made with; `None`: the release is unsigned.
    pub signing: Option<Signing>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// `minisign`.
    pub algorithm: String,
    /// The public key in base64, as `minisign -P` and cargo-binstall's `pubkey` take it.
    pub public_key: String,
}

/// What Cargo.toml says of the shipped package: the labels of the image and the metadata of
/// packages made from the release come from here, so merge needs no checkout to make them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageInfo {
    /// The binary's name.
    pub bin: String,
    pub description: Option<String>,
    /// An SPDX expression.
    pub license: Option<String>,
    pub repository: Option<String>,
    pub homepage: Option<String>,
    pub authors: Vec<String>,
    /// How install.sh runs the binary before installing it, as dist did.
    pub smoke: Smoke,
    /// The OCI image's default command: arguments to the binary.
    pub image_command: Vec<String>,
}

/// What built the release: what `cargo xtask reproduce` must match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toolchain {
    /// `rustc -V`.
    pub rustc: String,
    /// `cargo -V`.
    pub cargo: String,
    /// The build machine's target triple.
    pub host: String,
    /// The pinned build tools as found on the build machine (`None`: not installed).
    pub zig: Option<String>,
    pub cargo_zigbuild: Option<String>,
    pub cargo_auditable: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetEntry {
    pub target: String,
    /// The target as the builder was given it (with a glibc suffix for zig).
    pub build_target: String,
    pub builder: Builder,
    /// The exact build command.
    pub build_command: String,
    pub glibc_floor: Option<String>,
    /// What the smoke run printed, or why it was skipped.
    pub smoke_run: String,
    pub binary: Binary,
    /// The binary's path inside the archive (`<directory>/<bin>`), as bin-dir in
    /// `[package.metadata.binstall]` names it: where install.sh and the image take it from.
    pub binary_in_archive: String,
    /// The files this target adds to the release, the archive first, then a gnu target's
    /// .deb and .rpm.
    pub artifacts: Vec<Artifact>,
}

/// One file of the release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    pub name: String,
    pub kind: ArtifactKind,
    pub size: u64,
    pub sha256: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// The `.tar.gz` (named as `[package.metadata.binstall]` says) holding the binary, docs, completions, man pages and the SBOM.
    Archive,
    /// The CycloneDX JSON SBOM of the target's binary.
    Sbom,
    /// `install.sh`, which picks and installs one of the archives.
    Installer,
    /// The Debian package of a gnu target's binary, with its man pages and completions.
    Deb,
    /// The RPM package of the same.
    Rpm,
    /// The multi-arch OCI image layout of the musl binaries, as one tar archive.
    OciImage,
}

/// The verified facts of a shipped binary, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binary {
    pub class: u8,
    pub endian: String,
    pub machine: u16,
    pub machine_name: String,
    pub e_flags: u32,
    pub file_type: String,
    pub linkage: String,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    pub version_requirements: Vec<Requirement>,
    pub glibc_max: Option<String>,
    pub glibc_unnumbered: Vec<String>,
    pub stripped: bool,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    pub pie: bool,
    pub nx_stack: bool,
    pub relro: String,
    pub bind_now: bool,
    pub size: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub file: String,
    pub version: String,
}

impl TargetEntry {
    /// The archive, which every target has.
    pub fn archive(&self) -> &Artifact {
        self.artifacts
            .iter()
            .find(|a| a.kind == ArtifactKind::Archive)
            .expect("every target entry has its archive")
    }
}

impl Manifest {
    /// The manifest of a release of `targets` built from `commit` (with `dirty` files changed); the release steps add
    /// its release-wide files and signing.
    pub fn new(
        policy: &Policy,
        commit: Option<String>,
        dirty: Vec<String>,
        toolchain: Toolchain,
        source_date_epoch: u64,
        targets: Vec<TargetEntry>,
    ) -> Manifest {
        let package = &policy.package;
        Manifest {
            schema_version: SCHEMA_VERSION,
            name: package.name.clone(),
            version: policy.version().to_string(),
            package: PackageInfo {
                bin: policy.bin.clone(),
                description: package.description.clone(),
                license: package.license.clone(),
                repository: package.repository.clone(),
                homepage: package.homepage.clone(),
                authors: package.authors.clone(),
                smoke: policy.smoke.clone(),
                image_command: policy.image_command.clone(),
            },
            minisign_pubkey: policy.minisign_pubkey.clone(),
            dirty,
            commit,
            toolchain,
            source_date_epoch,
            targets,
            files: Vec::new(),
            signing: None,
        }
    }

    /// Every file of the release with its SHA-256, for SHA256SUMS.
    pub fn sums(&self) -> Vec<(String, String)> {
        self.artifacts().map(|a| (a.name.clone(), a.sha256.clone())).collect()
    }

    /// Every file of the release: the targets' and the release-wide ones.
    pub fn artifacts(&self) -> impl Iterator<Item = &Artifact> {
        self.targets.iter().flat_map(|t| &t.artifacts).chain(&self.files)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the manifest serializes") + "\n"
    }

    pub fn read(path: &Path) -> Result<Manifest> {
        let text = crate::util::files::read_text(path)?;
        Manifest::parse(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// A manifest from untrusted text (the fuzz target `release_readers` drives this):
    /// another schema version is reported as such, and every name must be a plain file name.
    pub fn parse(text: &str) -> Result<Manifest> {
        // The version first, so that another version is reported as such, not as a field error.
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<u32>,
        }
        let version: Version = serde_json::from_str(text)?;
        ensure!(
            version.schema_version == Some(SCHEMA_VERSION),
            "schema_version {:?}, this xtask reads {SCHEMA_VERSION}: use the xtask of the \
             release's commit",
            version.schema_version
        );
        let manifest: Manifest = serde_json::from_str(text)?;
        // Every name a reader joins to a directory (files, the binary, the targets that name
        // archives) is a plain file name, checked before anything is written.
        let targets = manifest.targets.iter().map(|t| &t.target);
        let artifacts = manifest.artifacts().map(|a| &a.name);
        for name in std::iter::once(&manifest.package.bin).chain(targets).chain(artifacts) {
            crate::util::files::plain_name(name).context("a file name in it")?;
        }
        Ok(manifest)
    }
}

/// What the fuzz target `release_readers` and its corpus replay check of untrusted bytes:
/// [`Manifest::parse`] never panics, names plain files only in what it accepts, and what it
/// accepts reads back as itself. Panics otherwise.
pub fn check_reader(bytes: &[u8]) {
    let Some(manifest) = std::str::from_utf8(bytes).ok().and_then(|t| Manifest::parse(t).ok())
    else {
        return;
    };
    for artifact in manifest.artifacts() {
        crate::util::files::plain_name(&artifact.name).expect("a plain name");
    }
    let again = Manifest::parse(&manifest.to_json()).expect("its own JSON reads back");
    assert_eq!(again, manifest);
}

/// A manifest of one target with every field set, for tests of readers and the schema.
#[cfg(test)]
pub fn sample(target: &str, version: &str, archive: Artifact) -> Manifest {
    let binary: Binary = serde_json::from_value(serde_json::json!({
        "class": 64, "endian": "little", "machine": 62, "machine_name": "x86_64",
        "e_flags": 0, "file_type": "executable", "linkage": "dynamic",
        "interpreter": "/lib64/ld-linux-x86-64.so.2", "needed": ["libc.so.6"],
        "version_requirements": [{ "file": "libc.so.6", "version": "GLIBC_2.17" }],
        "glibc_max": "2.17", "glibc_unnumbered": [], "stripped": true, "rpath": [],
        "runpath": [], "pie": true, "nx_stack": true, "relro": "full", "bind_now": true,
        "size": 1
    }))
    .expect("a complete binary record");
    let musl = target.ends_with("-musl");
    let mut binary = binary;
    if musl {
        binary.linkage = "static-pie".into();
        binary.interpreter = None;
        binary.needed.clear();
        binary.version_requirements.clear();
        binary.glibc_max = None;
    }
    Manifest {
        schema_version: SCHEMA_VERSION,
        name: "diag_tool".into(),
        version: version.into(),
        package: PackageInfo {
            bin: "diag_tool".into(),
            description: Some("Hardware diagnostics".into()),
            license: Some("MIT OR Apache-2.0".into()),
            repository: Some("https://github.com/example/diag_tool".into()),
            homepage: None,
            authors: vec!["Fleet Team <fleet@example.com>".into()],
            smoke: Smoke { args: vec!["--version".into()], expect: version.into() },
            image_command: vec!["report".into()],
        },
        minisign_pubkey: Some("RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3".into()),
        dirty: Vec::new(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        toolchain: Toolchain {
            rustc: "rustc 1.95.0".into(),
            cargo: "cargo 1.95.0".into(),
            host: "x86_64-unknown-linux-gnu".into(),
            zig: Some("0.17.1".into()),
            cargo_zigbuild: Some("0.24.1".into()),
            cargo_auditable: Some("0.7.7".into()),
        },
        source_date_epoch: 1_700_000_000,
        targets: vec![TargetEntry {
            target: target.into(),
            build_target: match musl {
                true => target.into(),
                false => format!("{target}.2.17"),
            },
            builder: Builder::Zigbuild,
            build_command: "cargo zigbuild --release".into(),
            glibc_floor: (!musl).then(|| "2.17".into()),
            smoke_run: "skipped: --no-smoke".into(),
            binary,
            binary_in_archive: crate::config::names::default_for("diag_tool", target, version)
                .binary,
            artifacts: vec![archive],
        }],
        files: Vec::new(),
        signing: Some(Signing {
            algorithm: "minisign".into(),
            public_key: "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> Artifact {
        Artifact {
            name: "diag_tool-x86_64-unknown-linux-gnu-v1.0.0.tar.gz".into(),
            kind: ArtifactKind::Archive,
            size: 3,
            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
        }
    }

    /// Runs the real `check-jsonschema` on `manifest` against the published schema.
    fn schema_accepts(manifest: &serde_json::Value) -> bool {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(FILE_NAME);
        std::fs::write(&path, manifest.to_string()).unwrap();
        let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("release-manifest.schema.json");
        let output = std::process::Command::new("check-jsonschema")
            .arg("--schemafile")
            .arg(&schema)
            .arg(&path)
            .output()
            .expect("check-jsonschema is needed: pip install check-jsonschema");
        output.status.success()
    }

    #[test]
    fn the_published_schema_accepts_what_dist_writes_and_nothing_else() {
        let mut manifest = sample("x86_64-unknown-linux-gnu", "1.0.0", archive());
        manifest.files.push(Artifact {
            name: "diag_tool-v1.0.0-oci.tar".into(),
            kind: ArtifactKind::OciImage,
            ..archive()
        });
        let json = serde_json::to_value(&manifest).unwrap();
        assert!(schema_accepts(&json), "{json:#}");
        // The schema lists every field as required and allows no others, so a field added
        // to the types without the schema (or the reverse) fails here.
        let mut extra = json.clone();
        extra["targets"][0]["binary"]["new_fact"] = true.into();
        assert!(!schema_accepts(&extra));
        let mut missing = json.clone();
        missing["toolchain"].as_object_mut().unwrap().remove("host");
        assert!(!schema_accepts(&missing));
        let mut unknown_kind = json.clone();
        unknown_kind["files"][0]["kind"] = "docker-image".into();
        assert!(!schema_accepts(&unknown_kind));
    }

    #[test]
    fn a_manifest_round_trips_and_another_schema_version_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(FILE_NAME);
        let manifest = sample("x86_64-unknown-linux-gnu", "1.0.0", archive());
        std::fs::write(&path, manifest.to_json()).unwrap();
        assert_eq!(Manifest::read(&path).unwrap(), manifest);
        std::fs::write(&path, r#"{"schema_version": 1, "targets": []}"#).unwrap();
        let err = format!("{:#}", Manifest::read(&path).unwrap_err());
        assert!(err.contains("schema_version Some(1), this xtask reads 2"), "{err}");
    }
}
