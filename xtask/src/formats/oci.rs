//! The release's OCI image, written without any daemon: a multi-arch image layout with one
//! platform per musl target, whose one layer is the static binary, packed into one tar archive.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use flate2::read::GzDecoder;
use serde::Serialize;
use tar::EntryType;

use crate::config::target::{Libc, Target};
use crate::formats::checksums::{self, HashingWriter};
use crate::formats::tarball::{self, Data, Layout, TarFile};
use crate::manifest::{Artifact, ArtifactKind, Manifest, TargetEntry};
use crate::util::files;

// The media types of the OCI image-spec (media-types.md).
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// A tag, on the descriptors of `index.json`: what `skopeo` and `umoci` look images up by.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where the binary goes: on the default PATH, apart from anything a distribution installs.
const BIN_DIR: &str = "usr/local/bin";
/// The PATH Docker's and Debian's images set.
const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// `nobody`, by number since the image has no `/etc/passwd`: diag_tool reads only
/// world-readable files of /proc and /sys, so it needs no root (`--user 0` gives it back).
const USER: &str = "65534:65534";

/// `org.opencontainers.image.*` annotations and labels; sorted, so JSON keys come in one order.
type Annotations = BTreeMap<String, String>;

/// `<name>-v<version>-oci.tar`: the release's image.
pub fn file_name(name: &str, version: &str) -> String {
    format!("{name}-v{version}-oci.tar")
}

/// The tag of the multi-arch image in the layout, and in the registry: the version.
pub fn tag(version: &str) -> String {
    version.to_string()
}

/// Writes the image of every musl target of `manifest`, read from their archives in `out_dir`:
/// `None` when the release has no musl target, since the image holds no C library.
pub fn write_image(manifest: &Manifest, out_dir: &Path) -> Result<Option<Artifact>> {
    let mut blobs = Blobs::default();
    let annotations = annotations(manifest);
    let mut platforms = Vec::new();
    for entry in &manifest.targets {
        let target = Target::parse(&entry.target)?;
        if target.libc != Libc::Musl {
            continue;
        }
        let binary = binary_from_archive(entry, out_dir)?;
        let platform =
            Platform { architecture: target.arch.oci.0, os: "linux", variant: target.arch.oci.1 };
        // The tag of this platform's image in the layout (`0.1.0-arm64-v8`), for tools such as
        // umoci that unpack one image, not an index.
        let variant = platform.variant.map(|v| format!("-{v}")).unwrap_or_default();
        let tag = format!("{}-{}{variant}", manifest.version, platform.architecture);
        platforms.push((image(&mut blobs, manifest, platform, &binary, &annotations)?, tag));
    }
    if platforms.is_empty() {
        return Ok(None);
    }
    let multi_arch = Index::new(platforms.iter().map(|(d, _)| d.clone()).collect(), annotations);
    // index.json names the multi-arch image (what a registry gets) and, for tools that take
    // one platform's image, each platform's: the layout of the image-layout spec's example.
    let multi_arch = blobs.add_json(INDEX, &multi_arch)?;
    let mut refs = vec![multi_arch.tagged(tag(&manifest.version))];
    refs.extend(platforms.into_iter().map(|(image, tag)| image.tagged(tag)));
    let name = file_name(&manifest.name, &manifest.version);
    let path = out_dir.join(&name);
    let index = Index::new(refs, Annotations::new());
    let (sha256, size) = write_layout(&path, &blobs, &index, manifest.source_date_epoch)?;
    Ok(Some(Artifact { name, kind: ArtifactKind::OciImage, size, sha256 }))
}

/// One platform's image: its layer, config and manifest go into `blobs`; returns the
/// manifest's descriptor, which names the platform.
fn image(
    blobs: &mut Blobs,
    manifest: &Manifest,
    platform: Platform,
    binary: &[u8],
    annotations: &Annotations,
) -> Result<Descriptor> {
    let bin = &manifest.package.bin;
    let mtime = manifest.source_date_epoch;
    let entrypoint = format!("{BIN_DIR}/{bin}");
    let layer = [TarFile { name: &entrypoint, mode: 0o755, data: Data::Bytes(binary) }];
    let layer = layer_tar(Vec::new(), &layer, mtime)?;
    let diff_id = format!("sha256:{}", checksums::sha256_bytes(&layer));
    let layer = blobs.add(LAYER, tarball::gzip_to(&layer[..], Vec::new())?);
    let created = tarball::rfc3339(mtime);
    let config = ImageConfig {
        created: created.clone(),
        platform: platform.clone(),
        config: RunConfig {
            user: USER,
            env: vec![PATH.into()],
            entrypoint: vec![format!("/{entrypoint}")],
            cmd: manifest.package.image_command.clone(),
            labels: annotations.clone(),
        },
        rootfs: RootFs { kind: "layers", diff_ids: vec![diff_id] },
        history: vec![History {
            created,
            created_by: format!("cargo xtask dist: /{entrypoint}, static"),
        }],
    };
    let config = blobs.add_json(CONFIG, &config)?;
    let image = ImageManifest {
        schema_version: 2,
        media_type: MANIFEST,
        config,
        layers: vec![layer],
        annotations: annotations.clone(),
    };
    Ok(Descriptor { platform: Some(platform), ..blobs.add_json(MANIFEST, &image)? })
}

/// The labels of every image and index, from the manifest alone (so merge gives the same).
fn annotations(manifest: &Manifest) -> Annotations {
    let package = &manifest.package;
    let pairs = [
        ("title", Some(manifest.name.clone())),
        ("version", Some(manifest.version.clone())),
        ("created", Some(tarball::rfc3339(manifest.source_date_epoch))),
        ("revision", manifest.commit.clone()),
        ("description", package.description.clone()),
        ("licenses", package.license.clone()),
        ("source", package.repository.clone()),
        ("url", package.homepage.clone().or(package.repository.clone())),
        ("authors", (!package.authors.is_empty()).then(|| package.authors.join(", "))),
    ];
    pairs
        .into_iter()
        .filter_map(|(key, value)| Some((format!("org.opencontainers.image.{key}"), value?)))
        .collect()
}

/// `entry`'s binary, out of its archive in `out_dir`: the bytes dist verified, checked against
/// the manifest's hash of the archive and size of the binary.
fn binary_from_archive(entry: &TargetEntry, out_dir: &Path) -> Result<Vec<u8>> {
    ensure!(
        entry.binary.interpreter.is_none() && entry.binary.needed.is_empty(),
        "{}: the image holds no C library, so its binary must be static, but the manifest \
         records a {} one: build it as dist does, with the default linker",
        entry.target,
        entry.binary.linkage
    );
    let archive = entry.archive();
    let path = out_dir.join(&archive.name);
    let bytes = files::read_regular(&path, archive.size)?;
    let found = checksums::sha256_bytes(&bytes);
    ensure!(
        found == archive.sha256,
        "{} has sha256 {found}, but the manifest says {}: run `cargo xtask dist` again",
        path.display(),
        archive.sha256
    );
    let wanted = entry.binary_in_archive.as_str();
    let mut tar = tar::Archive::new(GzDecoder::new(&bytes[..]));
    for item in tar.entries().with_context(|| format!("reading {}", path.display()))? {
        let mut item = item.with_context(|| format!("reading {}", path.display()))?;
        if item.header().entry_type() != EntryType::Regular || *item.path()? != *wanted {
            continue;
        }
        let mut binary = Vec::new();
        // The entry's header may claim any size: read no more than the manifest records.
        (&mut item)
            .take(entry.binary.size + 1)
            .read_to_end(&mut binary)
            .with_context(|| format!("reading {wanted} in {}", path.display()))?;
        ensure!(
            binary.len() as u64 == entry.binary.size,
            "{wanted} in {} has {} bytes, but the manifest records {}",
            path.display(),
            binary.len(),
            entry.binary.size
        );
        return Ok(binary);
    }
    bail!("{} holds no {wanted}: expected the binary where dist puts it", path.display())
}

/// Writes the image layout as one tar archive at `path`: `oci-layout`, `index.json` and the
/// blobs, as the image-layout spec lays them out. Returns its SHA-256 and size.
fn write_layout(path: &Path, blobs: &Blobs, index: &Index, mtime: u64) -> Result<(String, u64)> {
    let index = serde_json::to_vec(index).context("serializing index.json")?;
    let names: Vec<String> = blobs.0.keys().map(|hex| format!("blobs/sha256/{hex}")).collect();
    let file = |name, bytes| TarFile { name, mode: 0o644, data: Data::Bytes(bytes) };
    let mut files =
        vec![file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#), file("index.json", &index)];
    files.extend(names.iter().zip(blobs.0.values()).map(|(n, b)| file(n, b)));
    files::write_atomic_with(path, |file| {
        let (_, sha256, size) = layer_tar(HashingWriter::new(file), &files, mtime)?.finish();
        Ok((sha256, size))
    })
    .with_context(|| format!("writing {}", path.display()))
}

/// A tar stream of `files` and the directories above them, written as the release archives
/// are.
fn layer_tar<W: Write>(writer: W, files: &[TarFile], mtime: u64) -> Result<W> {
    tarball::write(writer, files, &Layout { prefix: "", owner: None, mtime })
}

/// The blobs of the layout by the hex of their SHA-256.
#[derive(Default)]
struct Blobs(BTreeMap<String, Vec<u8>>);

impl Blobs {
    fn add(&mut self, media_type: &'static str, bytes: Vec<u8>) -> Descriptor {
        let hex = checksums::sha256_bytes(&bytes);
        let descriptor = Descriptor {
            media_type,
            digest: format!("sha256:{hex}"),
            size: bytes.len() as u64,
            platform: None,
            annotations: Annotations::new(),
        };
        self.0.insert(hex, bytes);
        descriptor
    }

    fn add_json(&mut self, media_type: &'static str, value: &impl Serialize) -> Result<Descriptor> {
        let bytes =
            serde_json::to_vec(value).with_context(|| format!("serializing {media_type}"))?;
        Ok(self.add(media_type, bytes))
    }
}

// The JSON documents of the image-spec, with its field names; serde writes the fields in the
// order declared, and compact, so the same image is always the same bytes.

/// descriptor.md.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: &'static str,
    digest: String,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: Annotations,
}

impl Descriptor {
    fn tagged(mut self, tag: String) -> Descriptor {
        self.annotations = Annotations::from([(REF_NAME.to_string(), tag)]);
        self
    }
}

#[derive(Clone, Serialize)]
struct Platform {
    architecture: &'static str,
    os: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'static str>,
}

/// image-index.md; `index.json` is one too.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    schema_version: u32,
    media_type: &'static str,
    manifests: Vec<Descriptor>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: Annotations,
}

impl Index {
    fn new(manifests: Vec<Descriptor>, annotations: Annotations) -> Index {
        Index { schema_version: 2, media_type: INDEX, manifests, annotations }
    }
}

/// manifest.md.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageManifest {
    schema_version: u32,
    media_type: &'static str,
    config: Descriptor,
    layers: Vec<Descriptor>,
    annotations: Annotations,
}

/// config.md.
#[derive(Serialize)]
struct ImageConfig {
    created: String,
    /// `architecture`, `os` and `variant`, as in the descriptor.
    #[serde(flatten)]
    platform: Platform,
    config: RunConfig,
    rootfs: RootFs,
    history: Vec<History>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    user: &'static str,
    env: Vec<String>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    labels: Annotations,
}

#[derive(Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    kind: &'static str,
    diff_ids: Vec<String>,
}

#[derive(Serialize)]
struct History {
    created: String,
    created_by: String,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::Command;

    use serde_json::Value;

    use super::*;
    use crate::formats::archive::{self, ArchiveFile};
    use crate::manifest;

    const MTIME: u64 = 1_700_000_000;

    /// A target's archive in `dir` holding `binary` as dist packs it, and its manifest entry.
    fn archive(dir: &Path, target: &str, binary: &[u8]) -> Artifact {
        let source = dir.join(format!("{target}.bin"));
        std::fs::write(&source, binary).unwrap();
        let names = crate::config::names::default_for("diag_tool", target, "1.0.0");
        let files =
            [ArchiveFile { name: "diag_tool".into(), source: source.clone(), executable: true }];
        let written = archive::write_archive(dir, &names, &files, MTIME).unwrap();
        std::fs::remove_file(source).unwrap();
        written
    }

    /// A release of one gnu and two musl targets, whose archives are in `dir`.
    fn release(dir: &Path) -> Manifest {
        let gnu = "aarch64-unknown-linux-gnu";
        let mut manifest = manifest::sample(gnu, "1.0.0", archive(dir, gnu, b"dynamic"));
        for (target, binary) in [
            ("x86_64-unknown-linux-musl", &b"static x86_64"[..]),
            ("aarch64-unknown-linux-musl", b"static aarch64"),
        ] {
            let mut entry = manifest.targets[0].clone();
            entry.target = target.into();
            entry.binary.interpreter = None;
            entry.binary.needed.clear();
            entry.binary.size = binary.len() as u64;
            entry.artifacts = vec![archive(dir, target, binary)];
            entry.binary_in_archive = format!("diag_tool-{target}-v1.0.0/diag_tool");
            manifest.targets.push(entry);
        }
        manifest.targets.sort_by(|a, b| a.target.cmp(&b.target));
        manifest
    }

    /// One entry of a tar stream, as read back.
    struct Listed {
        name: String,
        mode: u32,
        owner: (u64, u64),
        mtime: u64,
        bytes: Vec<u8>,
    }

    fn entries(tar: impl Read) -> Vec<Listed> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let header = entry.header();
                let mut listed = Listed {
                    name: entry.path().unwrap().to_string_lossy().into_owned(),
                    mode: header.mode().unwrap(),
                    owner: (header.uid().unwrap(), header.gid().unwrap()),
                    mtime: header.mtime().unwrap(),
                    bytes: Vec::new(),
                };
                entry.read_to_end(&mut listed.bytes).unwrap();
                listed
            })
            .collect()
    }

    fn json(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn the_layout_holds_one_platform_per_musl_target_with_its_verified_binary() {
        let tmp = tempfile::tempdir().unwrap();
        let manifest = release(tmp.path());
        let image = write_image(&manifest, tmp.path()).unwrap().unwrap();
        assert_eq!(image.name, "diag_tool-v1.0.0-oci.tar");
        let path = tmp.path().join(&image.name);
        assert_eq!(image.sha256, checksums::sha256_file(&path).unwrap());
        let listed = entries(std::fs::File::open(&path).unwrap());
        let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names[..2], ["blobs/", "blobs/sha256/"]);
        assert_eq!(names[names.len() - 2..], ["index.json", "oci-layout"]);
        assert!(listed.iter().all(|e| (e.owner, e.mtime) == ((0, 0), MTIME)));
        let files: BTreeMap<&str, &[u8]> =
            listed.iter().map(|e| (e.name.as_str(), &e.bytes[..])).collect();
        assert_eq!(json(files["oci-layout"])["imageLayoutVersion"], "1.0.0");
        // Every blob is named by its digest.
        for (name, bytes) in &files {
            if let Some(hex) = name.strip_prefix("blobs/sha256/").filter(|h| !h.is_empty()) {
                assert_eq!(checksums::sha256_bytes(bytes), hex);
            }
        }
        let blob = |descriptor: &Value| {
            let digest = descriptor["digest"].as_str().unwrap();
            let bytes = files[format!("blobs/{}", digest.replace(':', "/")).as_str()];
            assert_eq!(descriptor["size"], bytes.len());
            bytes
        };

        let index = json(files["index.json"]);
        assert_eq!(index["mediaType"], INDEX);
        let refs: Vec<(&str, &str)> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let tag = d["annotations"][REF_NAME].as_str().unwrap();
                (d["mediaType"].as_str().unwrap(), tag)
            })
            .collect();
        assert_eq!(
            refs,
            [(INDEX, "1.0.0"), (MANIFEST, "1.0.0-arm64-v8"), (MANIFEST, "1.0.0-amd64")]
        );
        let multi_arch = json(blob(&index["manifests"][0]));
        assert_eq!(multi_arch["mediaType"], INDEX);
        assert_eq!(
            multi_arch["annotations"]["org.opencontainers.image.created"],
            "2023-11-14T22:13:20Z"
        );
        let platforms = multi_arch["manifests"].as_array().unwrap();
        assert_eq!(platforms.len(), 2, "the gnu target has no image");
        for (platform, binary) in platforms.iter().zip([&b"static aarch64"[..], b"static x86_64"]) {
            let image = json(blob(platform));
            assert_eq!(image["mediaType"], MANIFEST);
            assert_eq!(image["config"]["mediaType"], CONFIG);
            assert_eq!(image["layers"][0]["mediaType"], LAYER);
            let config = json(blob(&image["config"]));
            assert_eq!(config["architecture"], platform["platform"]["architecture"]);
            assert_eq!(config["os"], "linux");
            assert_eq!(config["created"], "2023-11-14T22:13:20Z");
            assert_eq!(config["config"]["Entrypoint"][0], "/usr/local/bin/diag_tool");
            let labels = &config["config"]["Labels"];
            assert_eq!(labels["org.opencontainers.image.version"], "1.0.0");
            assert_eq!(labels["org.opencontainers.image.licenses"], "MIT OR Apache-2.0");
            assert_eq!(
                labels["org.opencontainers.image.revision"],
                manifest.commit.as_deref().unwrap()
            );
            let layer = blob(&image["layers"][0]);
            let mut tar = Vec::new();
            GzDecoder::new(layer).read_to_end(&mut tar).unwrap();
            let diff_id = format!("sha256:{}", checksums::sha256_bytes(&tar));
            assert_eq!(config["rootfs"]["diff_ids"][0], diff_id);
            let layer = entries(&tar[..]);
            let names: Vec<&str> = layer.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names, ["usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/diag_tool"]);
            assert_eq!((layer[3].mode, &layer[3].bytes[..]), (0o755, binary));
        }
    }

    #[test]
    fn the_same_release_in_another_directory_gives_the_same_image() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = write_image(&release(one.path()), one.path()).unwrap().unwrap();
        let b = write_image(&release(two.path()), two.path()).unwrap().unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn skopeo_reads_the_archive_as_a_multi_arch_image() {
        let tmp = tempfile::tempdir().unwrap();
        let image = write_image(&release(tmp.path()), tmp.path()).unwrap().unwrap();
        let source = format!("oci-archive:{}:1.0.0", tmp.path().join(image.name).display());
        let skopeo = |args: &[&str]| {
            let output = Command::new("skopeo")
                .arg("inspect")
                .args(args)
                .arg(&source)
                .output()
                .expect("skopeo is needed: apt-get install skopeo (or cargo xtask setup)");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "skopeo {args:?}: {stderr}");
            json(&output.stdout)
        };
        let raw = skopeo(&["--raw"]);
        assert_eq!(raw["mediaType"], INDEX);
        for arch in ["amd64", "arm64"] {
            let inspected = skopeo(&["--override-os", "linux", "--override-arch", arch]);
            assert_eq!(inspected["Architecture"], arch);
            assert_eq!(inspected["Labels"]["org.opencontainers.image.title"], "diag_tool");
            assert_eq!(inspected["Created"], "2023-11-14T22:13:20Z");
        }
    }

    #[test]
    fn a_musl_target_of_another_architecture_gets_its_platform_from_the_table() {
        let tmp = tempfile::tempdir().unwrap();
        let mut manifest = release(tmp.path());
        let armv7 = "armv7-unknown-linux-musleabihf";
        let mut entry = manifest.targets[1].clone();
        entry.target = armv7.into();
        entry.artifacts = vec![archive(tmp.path(), armv7, b"static arm")];
        entry.binary_in_archive = format!("diag_tool-{armv7}-v1.0.0/diag_tool");
        entry.binary.size = 10;
        manifest.targets = vec![entry];
        let image = write_image(&manifest, tmp.path()).unwrap().unwrap();
        let listed = entries(std::fs::File::open(tmp.path().join(image.name)).unwrap());
        let index = listed.iter().find(|e| e.name == "index.json").unwrap();
        let platform = &json(&index.bytes)["manifests"][1];
        assert_eq!(platform["platform"]["architecture"], "arm");
        assert_eq!(platform["platform"]["variant"], "v7");
        assert_eq!(platform["annotations"][REF_NAME], "1.0.0-arm-v7");
    }

    #[test]
    fn a_release_without_musl_targets_has_no_image() {
        let tmp = tempfile::tempdir().unwrap();
        let mut manifest = release(tmp.path());
        manifest.targets.retain(|t| t.target.ends_with("-gnu"));
        assert!(write_image(&manifest, tmp.path()).unwrap().is_none());
        assert!(!tmp.path().join("diag_tool-v1.0.0-oci.tar").exists());
    }

    #[test]
    fn a_changed_archive_or_a_dynamic_binary_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let manifest = release(tmp.path());
        let mut dynamic = manifest.clone();
        let musl = dynamic.targets.iter_mut().find(|t| t.target.ends_with("musl"));
        musl.unwrap().binary.interpreter = Some("/lib/ld-musl-aarch64.so.1".into());
        let err = write_image(&dynamic, tmp.path()).unwrap_err().to_string();
        assert!(err.contains("its binary must be static"), "{err}");
        let archive = tmp.path().join("diag_tool-x86_64-unknown-linux-musl-v1.0.0.tar.gz");
        std::fs::write(&archive, "changed").unwrap();
        let err = write_image(&manifest, tmp.path()).unwrap_err().to_string();
        assert!(err.contains("but the manifest says"), "{err}");
        assert!(!tmp.path().join("diag_tool-v1.0.0-oci.tar").exists());
    }

    #[test]
    fn created_is_rfc3339_in_utc_as_gnu_date_writes_it() {
        for seconds in [0, 951_782_400, MTIME] {
            let date = Command::new("date")
                .args(["-u", "-d", &format!("@{seconds}"), "+%Y-%m-%dT%H:%M:%SZ"])
                .output()
                .unwrap();
            assert_eq!(tarball::rfc3339(seconds), String::from_utf8_lossy(&date.stdout).trim());
        }
    }
}
