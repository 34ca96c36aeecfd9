//! A CycloneDX 1.5 SBOM per target: exactly the packages compiled into that target's binary,
//! with versions, licenses, `pkg:cargo` purls and the crates.io checksums. Reproducible, unlike
//! cargo-cyclonedx's (cargo-cyclonedx#514): the serial number is derived from the content and
//! the timestamp is SOURCE_DATE_EPOCH.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::dependencies::Dependency;
use crate::formats::tarball;

pub const SPEC_VERSION: &str = "1.5";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom<'a> {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Component<'a>>,
    dependencies: Vec<DependencyEntry<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    timestamp: String,
    tools: Tools,
    component: Component<'a>,
    properties: Vec<Property<'a>>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Tool>,
}

#[derive(Serialize)]
struct Tool {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Property<'a> {
    name: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct Component<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    name: &'a str,
    version: &'a str,
    purl: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<License<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash<'a>>,
}

#[derive(Serialize)]
struct License<'a> {
    expression: &'a str,
}

#[derive(Serialize)]
struct Hash<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DependencyEntry<'a> {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: &'a [String],
}

/// The SBOM of one target's binary: `deps` as [`crate::host::cargo::resolve`] gives them,
/// the shipped package first.
pub fn cyclonedx(deps: &[Dependency], triple: &str, source_date_epoch: u64) -> String {
    let (root, rest) = deps.split_first().expect("the shipped package comes first");
    let mut bom = Bom {
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp: tarball::rfc3339(source_date_epoch),
            tools: Tools {
                components: vec![Tool {
                    kind: "application",
                    name: "xtask",
                    version: env!("CARGO_PKG_VERSION"),
                }],
            },
            component: component(root, "application"),
            properties: vec![Property { name: "target", value: triple }],
        },
        components: rest.iter().map(|d| component(d, "library")).collect(),
        dependencies: deps
            .iter()
            .map(|d| DependencyEntry { reference: d.key(), depends_on: &d.dependencies })
            .collect(),
    };
    let unnumbered = serde_json::to_vec(&bom).expect("the SBOM serializes");
    bom.serial_number = content_uuid(&unnumbered);
    serde_json::to_string_pretty(&bom).expect("the SBOM serializes") + "\n"
}

fn component<'a>(dep: &'a Dependency, kind: &'static str) -> Component<'a> {
    Component {
        kind,
        bom_ref: dep.key(),
        name: &dep.name,
        version: &dep.version,
        purl: format!("pkg:cargo/{}@{}", dep.name, dep.version),
        licenses: dep.license.iter().map(|l| License { expression: l }).collect(),
        hashes: dep.checksum.iter().map(|c| Hash { alg: "SHA-256", content: c }).collect(),
    }
}

/// A UUID from the SHA-256 of `content` (version 8, RFC 9562): the same SBOM always gets the
/// same serial number, and any other content another one.
fn content_uuid(content: &[u8]) -> String {
    let mut b: [u8; 16] = Sha256::digest(content)[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    // Groups of 8, 4, 4, 4 and 12 digits; inserted from the end, the positions stay put.
    for at in [20, 16, 12, 8] {
        hex.insert(at, '-');
    }
    format!("urn:uuid:{hex}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;
    use std::process::Command;

    use xshell::Shell;

    use super::*;
    use crate::config::target::Target;

    #[test]
    fn the_serial_number_follows_the_content() {
        let a = content_uuid(b"one");
        assert_eq!(a, content_uuid(b"one"));
        assert_ne!(a, content_uuid(b"two"));
        assert_eq!(&a[23..24], "8", "{a}");
    }

    /// The shipped package's SBOM for one target, validated by CycloneDX's own library and held
    /// against `cargo tree`, which resolves the same graph independently of `cargo metadata`.
    #[test]
    fn the_sbom_is_valid_cyclonedx_and_lists_what_cargo_tree_lists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let sh = Shell::new().unwrap();
        sh.change_dir(root);
        let policy = crate::config::policy::Policy::read(&sh).unwrap();
        let package = &policy.package.name;
        let triple = "aarch64-unknown-linux-musl";
        let deps = crate::host::cargo::resolve(&sh, package, &[], &Target::parse(triple).unwrap())
            .unwrap()
            .deps;
        let sbom = cyclonedx(&deps, triple, 1_700_000_000);
        assert_eq!(sbom, cyclonedx(&deps, triple, 1_700_000_000), "reproducible");

        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sbom.cdx.json");
        std::fs::write(&path, &sbom).unwrap();
        let script = "import sys\nfrom cyclonedx.schema import SchemaVersion\n\
                      from cyclonedx.validation.json import JsonStrictValidator\n\
                      e = JsonStrictValidator(SchemaVersion.V1_5).validate_str(open(sys.argv[1]).read())\n\
                      sys.exit(str(e) if e else 0)";
        let out = Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "CycloneDX rejects the SBOM (pip install 'cyclonedx-python-lib[json-validation]'): {}",
            String::from_utf8_lossy(&out.stderr)
        );

        let tree = Command::new("cargo")
            .args([
                "tree",
                "--locked",
                "--offline",
                "-e",
                "normal,no-proc-macro",
                "--prefix",
                "none",
            ])
            .args(["--format", "{p}", "-p", package, "--target", triple])
            .current_dir(root)
            .output()
            .unwrap();
        assert!(tree.status.success());
        let from_tree: BTreeSet<String> = String::from_utf8(tree.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                Some(format!("{}@{}", words.next()?, words.next()?.strip_prefix('v')?))
            })
            .collect();
        let from_sbom: BTreeSet<String> = deps.iter().map(Dependency::key).collect();
        assert_eq!(from_sbom, from_tree);
    }
}
