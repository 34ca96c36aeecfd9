//! The release policy from `[workspace.metadata.release]` in the root Cargo.toml: what ships, for
//! which targets, under which rules. Read through `cargo metadata`, so cargo parses the TOML, into
//! typed values: a misspelt key is an error that names it.

use std::path::PathBuf;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::config::binstall::{Binstall, Vars};
use crate::config::builder::{self, Builder, BuilderChoice};
use crate::config::glibc::GlibcVersion;
use crate::config::names::ReleaseNames;
use crate::config::target::{Libc, Target};
use crate::config::workspace::{Metadata, Package};

/// `smoke = { args = [...], expect = "..." }`: what dist and install.sh run to see that a built
/// binary works. It must exit 0 and print `expect` (by default the version) in its first line:
/// real tools print `name 1.2.3 (rev abc123)` and more lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Smoke {
    pub args: Vec<String>,
    pub expect: String,
}

/// `--version`, and the version to expect once [`Policy::from_metadata`] knows it.
impl Default for Smoke {
    fn default() -> Smoke {
        Smoke { args: vec!["--version".into()], expect: String::new() }
    }
}

impl Smoke {
    /// Judges what a run that exited 0 printed on its standard output.
    pub fn judge(&self, stdout: &str) -> Result<String> {
        let first = stdout.lines().next().unwrap_or_default().trim();
        ensure!(
            first.contains(&self.expect),
            "`{}` printed `{first}` as its first line, expected one containing `{}` \
             (`smoke` in {WHERE} sets the arguments and the text)",
            self.args.join(" "),
            self.expect
        );
        Ok(first.to_string())
    }
}

/// `[workspace.metadata.release.tools]`: build tools at exactly these versions. Setup installs
/// them, preflight refuses others, the manifest records them: the same commit gives the same
/// bytes only while they stay put. `Machine::tools` holds the versions found on a machine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tools {
    /// The `ziglang` PyPI package, which cargo-zigbuild links with.
    pub ziglang: Option<String>,
    pub cargo_zigbuild: Option<String>,
    /// Embeds the dependency list in every binary (`cargo auditable build`).
    pub cargo_auditable: Option<String>,
}

/// One `[[workspace.metadata.release.targets]]` entry.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct TargetEntry {
    triple: Target,
    builder: Option<BuilderChoice>,
    glibc_floor: Option<GlibcVersion>,
    /// The GitHub runner label that builds this target's release.
    runs_on: Option<String>,
}

/// `[workspace.metadata.release]` as written, then completed by [`Policy::from_metadata`] with
/// what cargo says of the shipped package and the targets' rules.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Policy {
    /// The name of the package whose binary ships.
    #[serde(rename = "package")]
    package_name: String,
    /// Files from the workspace root copied into every archive.
    #[serde(default)]
    pub include: Vec<PathBuf>,
    /// The glibc floor of gnu targets that do not set their own.
    pub glibc_floor: Option<GlibcVersion>,
    /// What the .deb and .rpm packages say below the one-line `description`.
    pub long_description: Option<String>,
    #[serde(default)]
    pub tools: Tools,
    /// The release workflow publishes unsigned releases only when this says so.
    #[serde(default)]
    pub allow_unsigned: bool,
    /// The armored OpenPGP public key apt and dnf repositories are signed with, committed at
    /// this path (from the workspace root).
    pub pgp_public_key: Option<PathBuf>,
    /// dist refuses a version without a section in `CHANGELOG.md` unless this is false.
    #[serde(default = "changelog_by_default")]
    pub changelog: bool,
    /// How a built binary is run to see that it works; `expect` is never empty once read.
    #[serde(default)]
    pub smoke: Smoke,
    /// Which binary of the package ships; needed when it has several.
    binaries: Option<Vec<String>>,
    /// Cargo features of the release build.
    #[serde(default)]
    pub features: Vec<String>,
    /// The OCI image's default command (arguments to the binary); empty: none.
    #[serde(default)]
    pub image_command: Vec<String>,
    /// Folders of man pages (`NAME.SECTION`) and completions (`BIN.bash`, `_BIN`, `BIN.fish`)
    /// from the workspace root, for the .deb and .rpm; `None`: the package has none.
    pub man: Option<PathBuf>,
    pub completions: Option<PathBuf>,
    /// The package's test the release workflow runs on each architecture's own hardware with
    /// the shipped binary's path in `SHIPPED_BINARY`.
    pub hardware_test: Option<String>,
    /// Text around a path of the build machine that a binary may hold (vendored OpenSSL's
    /// `openssl-build/install`, its default engines and modules directories).
    #[serde(default)]
    pub allow_build_paths: Vec<String>,
    /// The `[[workspace.metadata.release.targets]]` entries as written, which `from_metadata`
    /// moves into `targets`.
    #[serde(default, rename = "targets")]
    entries: Vec<TargetEntry>,

    // What the release table does not say itself, set by `from_metadata`.
    /// The package whose binary ships.
    #[serde(skip)]
    pub package: Package,
    /// Its `[package.metadata.binstall]`, the names `cargo binstall` will look for.
    #[serde(skip)]
    pub binstall: Option<Binstall>,
    /// That binary's name.
    #[serde(skip)]
    pub bin: String,
    /// The build scripts of the workspace members, which every release build reruns.
    #[serde(skip)]
    pub build_scripts: Vec<PathBuf>,
    /// Every entry's rules.
    #[serde(skip)]
    pub targets: Vec<TargetPolicy>,
    #[serde(skip)]
    pub target_dir: PathBuf,
    /// The key the release files are signed with, if they are.
    #[serde(skip)]
    pub minisign_pubkey: Option<String>,
}

fn changelog_by_default() -> bool {
    true
}

#[derive(Clone, Debug)]
pub struct TargetPolicy {
    pub target: Target,
    /// `None` means `auto`: the builder is chosen from what the machine has.
    pub builder: Option<Builder>,
    /// The floor the policy asks for, before the port's own first glibc bounds it.
    pub policy_floor: Option<GlibcVersion>,
    /// Highest glibc version a gnu binary may require; `None` for musl targets.
    pub glibc_floor: Option<GlibcVersion>,
    /// The runner label of the release job that builds it.
    pub runs_on: String,
    /// Its archive, the directory and binary inside it, and its SBOM.
    pub names: ReleaseNames,
}

/// Every release is cross-built on x86_64 so that anyone can rebuild it bit for bit there.
pub const DEFAULT_RUNNER: &str = "ubuntu-24.04";
const WHERE: &str = "[workspace.metadata.release] in Cargo.toml";

impl Policy {
    /// Reads `cargo metadata --no-deps` output; `Policy::read` in `host/cargo.rs` runs it.
    pub fn from_metadata(json: &str) -> Result<Policy> {
        let metadata: Metadata = serde_json::from_str(json).context("parsing `cargo metadata`")?;
        let Some(release) = metadata.metadata.as_ref().and_then(|m| m.get("release")) else {
            bail!("{WHERE} is missing: it names the package to ship and its targets");
        };
        let mut policy = Policy::deserialize(release)
            .with_context(|| format!("reading {WHERE}: fix the key it names"))?;
        policy.build_scripts = (metadata.packages.iter())
            .flat_map(|p| &p.targets)
            .filter(|t| t.kind.iter().any(|k| k == "custom-build"))
            .map(|t| t.src_path.clone())
            .collect();
        let name = &policy.package_name;
        policy.package = (metadata.packages.into_iter().find(|p| p.name == *name))
            .with_context(|| format!("{WHERE}: package `{name}` is not a workspace member"))?;
        policy.bin = shipped_bin(&policy.package, policy.binaries.as_deref())?;
        // `[package.metadata.binstall]`, where cargo-binstall reads it.
        let binstall = policy.package.metadata.as_ref().and_then(|m| m.get("binstall"));
        policy.binstall = (binstall.map(Binstall::deserialize).transpose())
            .context("reading [package.metadata.binstall] of the shipped package")?;
        if policy.entries.is_empty() {
            bail!("{WHERE} lists no targets: add [[workspace.metadata.release.targets]] entries");
        }
        if policy.smoke.expect.is_empty() {
            policy.smoke.expect = policy.package.version.clone();
        }
        policy.target_dir = metadata.target_directory;
        for entry in std::mem::take(&mut policy.entries) {
            if policy.targets.iter().any(|t| t.target == entry.triple) {
                bail!("{WHERE}: {} is listed twice", entry.triple);
            }
            let target = policy.target_policy(entry)?;
            policy.targets.push(target);
        }
        // Read after the targets, so that their errors come first.
        policy.minisign_pubkey = minisign_pubkey(policy.binstall.as_ref())?;
        Ok(policy)
    }

    pub fn version(&self) -> &str {
        &self.package.version
    }

    /// The names of `target`'s files in a release of `version`, which merge may be given parts
    /// of: the configured ones when it is this checkout's version.
    pub fn names_at(&self, target: &Target, version: &str) -> Result<ReleaseNames> {
        let (name, repo) = (&self.package.name, self.package.repository.as_deref());
        let vars = Vars { name, version, bin: &self.bin, repo, target };
        ReleaseNames::new(self.binstall.as_ref(), &vars)
    }

    /// The policy for `triple`, which must be configured: release rules are not invented on the
    /// command line. A zigbuild suffix on the command line (`.2.28`) sets the glibc floor.
    pub fn target(&self, triple: &str) -> Result<TargetPolicy> {
        let wanted = Target::parse(triple)?;
        let Some(configured) = self.targets.iter().find(|t| t.target.triple() == wanted.triple())
        else {
            let known: Vec<String> = self.targets.iter().map(|t| t.target.triple()).collect();
            bail!(
                "target `{triple}` is not configured; configured are: {}. \
                 Add it as a [[workspace.metadata.release.targets]] entry in Cargo.toml",
                known.join(", ")
            );
        };
        let mut policy = configured.clone();
        if let Some(floor) = wanted.glibc_suffix {
            let floor = floor.as_floor(&format!("--target {triple}"))?;
            meetable(&wanted, floor)?;
            policy.policy_floor = Some(floor);
            policy.glibc_floor = effective_floor(&policy.target, Some(floor));
        }
        Ok(policy)
    }

    /// Every architecture of the table with glibc, and with musl where rustup has it, at the
    /// default floor: what `plan --every-arch` plans and the every-arch workflow builds.
    pub fn every_arch(&self) -> Result<Vec<TargetPolicy>> {
        Target::every()
            .map(|triple| {
                let entry = TargetEntry { triple, builder: None, glibc_floor: None, runs_on: None };
                self.target_policy(entry)
            })
            .collect()
    }

    /// The glibc floor for any target, configured or not: a `.2.28` suffix, the target's own
    /// floor, or the default, and never below the port's first glibc. `None` for musl.
    pub fn floor_for(&self, target: &Target) -> Option<GlibcVersion> {
        let configured = self.targets.iter().find(|t| t.target == *target);
        let floor = target.glibc_suffix.or(configured.map_or(self.glibc_floor, |t| t.policy_floor));
        effective_floor(target, floor)
    }

    /// One target's rules: its floors (never below what a builder can link), builder, runner and
    /// release names.
    fn target_policy(&self, entry: TargetEntry) -> Result<TargetPolicy> {
        ensure!(
            entry.triple.glibc_suffix.is_none(),
            "{WHERE}: write `{}` without the glibc suffix and set `glibc-floor` instead",
            entry.triple
        );
        if let Some(floor) = entry.glibc_floor {
            meetable(&entry.triple, floor)?;
        }
        let policy_floor = match entry.triple.libc {
            Libc::Musl => None,
            Libc::Gnu => entry.glibc_floor.or(self.glibc_floor),
        };
        if let Some(floor) = policy_floor {
            floor.as_floor(&format!("{WHERE}, {}", entry.triple))?;
        }
        Ok(TargetPolicy {
            names: self.names_at(&entry.triple, self.version())?,
            glibc_floor: effective_floor(&entry.triple, policy_floor),
            policy_floor,
            target: entry.triple,
            builder: entry.builder.and_then(|b| b.0),
            runs_on: entry.runs_on.unwrap_or_else(|| DEFAULT_RUNNER.to_string()),
        })
    }
}

/// The binary that ships: the package's only one, or the one `binaries` names.
fn shipped_bin(package: &Package, chosen: Option<&[String]>) -> Result<String> {
    let bins = package.bins();
    let name = &package.name;
    match (chosen, &bins[..]) {
        (_, []) => bail!("package `{name}` has no binary target to ship"),
        (None, [one]) => Ok(one.to_string()),
        (None, _) => bail!(
            "package `{name}` has {} binaries ({}): name the one to ship with \
             `binaries = [\"{}\"]` in {WHERE}",
            bins.len(),
            bins.join(", "),
            bins[0]
        ),
        (Some([one]), _) if bins.contains(&one.as_str()) => Ok(one.clone()),
        (Some([one]), _) => bail!(
            "`binaries` in {WHERE} names `{one}`, which package `{name}` does not build: its \
             binaries are {}",
            bins.join(", ")
        ),
        (Some(many), _) => bail!(
            "`binaries` in {WHERE} lists {} binaries: a release ships one binary per package \
             for now; name one",
            many.len()
        ),
    }
}

/// The minisign public key the release is signed with, from `[package.metadata.binstall.signing]`
/// of the shipped package, where cargo-binstall reads it too.
fn minisign_pubkey(binstall: Option<&Binstall>) -> Result<Option<String>> {
    let where_ = "[package.metadata.binstall.signing] in the shipped package's Cargo.toml";
    let Some(signing) = binstall.and_then(|b| b.signing.as_ref()) else {
        return Ok(None);
    };
    ensure!(
        signing.algorithm == "minisign",
        "{where_}: algorithm `{}`, expected `minisign` (the one cargo-binstall and install.sh \
         check)",
        signing.algorithm
    );
    ensure!(
        signing.file.as_deref().is_none_or(|f| f == "{ url }.sig"),
        "{where_}: file `{}`, expected none or `{{ url }}.sig`: each signature is published \
         beside its file as <file>.sig",
        signing.file.as_deref().unwrap_or_default()
    );
    let key = &signing.pubkey;
    let base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    ensure!(
        !key.is_empty() && key.chars().all(base64),
        "{where_}: pubkey `{key}` is not a minisign public key: expected the base64 line of \
         the .pub file `minisign -G` wrote (RW...)"
    );
    Ok(Some(key.clone()))
}

/// A floor set for one target must be met as written: one below what the port or every
/// builder allows is refused before anything is built, naming the floor that can be met.
fn meetable(target: &Target, floor: GlibcVersion) -> Result<()> {
    let (lowest, why) = builder::lowest_floor(target.arch);
    let triple = target.triple();
    ensure!(
        floor >= lowest,
        "{triple}: glibc floor {floor} cannot be met: {lowest} is {why}. The lowest floor \
         that can be met is {lowest}: set glibc-floor = \"{lowest}\" (or --target {triple}.{lowest})"
    );
    Ok(())
}

/// The default floor rises to what the target can have: riscv64's glibc starts at 2.27, and
/// zig links powerpc64le from 2.32, so a 2.17 default means 2.27 and 2.32 there.
fn effective_floor(target: &Target, floor: Option<GlibcVersion>) -> Option<GlibcVersion> {
    match target.libc {
        Libc::Musl => None,
        Libc::Gnu => floor.map(|f| f.max(builder::lowest_floor(target.arch).0)),
    }
}

impl TargetPolicy {
    /// Why the floor is what it is, when the port or the builders raised it above the policy.
    pub fn floor_note(&self) -> Option<String> {
        let (asked, floor) = (self.policy_floor?, self.glibc_floor?);
        let (_, why) = builder::lowest_floor(self.target.arch);
        (floor > asked).then(|| format!("{floor}: {why} (policy {asked})"))
    }
}

/// The values Cargo.toml writes as strings, read with their own parsers so that a mistake is
/// named as they name it.
macro_rules! deserialize_from_str {
    ($($type:ty),*) => {$(
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(|e| serde::de::Error::custom(format!("{e:#}")))
            }
        }
    )*};
}

deserialize_from_str!(GlibcVersion, Target, BuilderChoice);

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(release: serde_json::Value) -> String {
        serde_json::json!({
            "metadata": { "release": release },
            "target_directory": "/w/target",
            "packages": [{
                "name": "diag_tool",
                "version": "1.2.3",
                "manifest_path": "/w/diag_tool/Cargo.toml",
                "description": "Hardware diagnostics",
                "license": "MIT OR Apache-2.0",
                "repository": null,
                "authors": [],
                "targets": [{ "kind": ["lib"], "name": "diag_tool" },
                            { "kind": ["bin"], "name": "diag_tool" }]
            }]
        })
        .to_string()
    }

    fn policy(release: serde_json::Value) -> Result<Policy> {
        Policy::from_metadata(&metadata(release))
    }

    #[test]
    fn gnu_targets_inherit_the_default_floor_and_musl_targets_have_none() {
        let policy = policy(serde_json::json!({
            "package": "diag_tool",
            "glibc-floor": "2.17",
            "targets": [
                { "triple": "x86_64-unknown-linux-gnu" },
                { "triple": "aarch64-unknown-linux-gnu", "glibc-floor": "2.28", "builder": "cargo" },
                { "triple": "x86_64-unknown-linux-musl", "runs-on": "ubuntu-24.04-arm" },
            ]
        }))
        .unwrap();
        let floors: Vec<_> = policy.targets.iter().map(|t| t.glibc_floor).collect();
        assert_eq!(floors, [Some(GlibcVersion([2, 17, 0])), Some(GlibcVersion([2, 28, 0])), None]);
        assert_eq!(policy.targets[1].builder, Some(Builder::Cargo));
        assert_eq!(policy.targets[0].runs_on, DEFAULT_RUNNER);
        assert_eq!(policy.targets[2].runs_on, "ubuntu-24.04-arm");
        assert_eq!((policy.bin.as_str(), policy.version()), ("diag_tool", "1.2.3"));
        let package = &policy.package;
        assert_eq!(package.description.as_deref(), Some("Hardware diagnostics"));
        assert_eq!(package.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!((&package.repository, &package.homepage), (&None, &None));
    }

    #[test]
    fn the_floor_never_goes_below_the_ports_first_glibc() {
        let policy = policy(serde_json::json!({
            "package": "diag_tool",
            "glibc-floor": "2.17",
            "targets": [{ "triple": "riscv64gc-unknown-linux-gnu" }]
        }))
        .unwrap();
        let riscv = &policy.targets[0];
        assert_eq!(riscv.glibc_floor, Some(GlibcVersion([2, 27, 0])));
        assert_eq!(riscv.floor_note().unwrap(), "2.27: the first glibc of riscv64gc (policy 2.17)");
    }

    #[test]
    fn the_builders_raise_the_default_floor_and_refuse_a_targets_own() {
        let default = policy(serde_json::json!({
            "package": "diag_tool",
            "glibc-floor": "2.17",
            "targets": [{ "triple": "powerpc64le-unknown-linux-gnu" }]
        }))
        .unwrap();
        let ppc = &default.targets[0];
        assert_eq!(ppc.glibc_floor, Some(GlibcVersion([2, 32, 0])));
        assert_eq!(
            ppc.floor_note().unwrap(),
            "2.32: the lowest any builder links for powerpc64le (zig from 2.32, Debian's cross \
             gcc from 2.36) (policy 2.17)"
        );
        let err = default.target("powerpc64le-unknown-linux-gnu.2.18").err().unwrap();
        assert!(format!("{err:#}").contains("floor that can be met is 2.32"), "{err:#}");
        let own = policy(serde_json::json!({
            "package": "diag_tool",
            "targets": [{ "triple": "riscv64gc-unknown-linux-gnu", "glibc-floor": "2.17" }]
        }));
        let err = format!("{:#}", own.err().unwrap());
        assert!(
            err.contains("glibc floor 2.17 cannot be met: 2.27 is the first glibc of riscv64gc")
                && err.contains("set glibc-floor = \"2.27\""),
            "{err}"
        );
    }

    #[test]
    fn every_arch_offers_each_architecture_with_glibc_and_musl_where_rustup_has_it() {
        let policy = policy(serde_json::json!({
            "package": "diag_tool",
            "glibc-floor": "2.17",
            "targets": [{ "triple": "x86_64-unknown-linux-musl" }]
        }))
        .unwrap();
        let all: Vec<String> =
            policy.every_arch().unwrap().iter().map(|t| t.target.triple()).collect();
        assert_eq!(all.len(), 15, "{all:?}");
        assert!(all.contains(&"s390x-unknown-linux-gnu".to_string()));
        assert!(!all.contains(&"s390x-unknown-linux-musl".to_string()));
    }

    #[test]
    fn a_misspelt_key_is_named() {
        let err = policy(serde_json::json!({
            "package": "diag_tool",
            "glibc-flor": "2.17",
            "targets": [{ "triple": "x86_64-unknown-linux-gnu" }]
        }))
        .err()
        .unwrap();
        assert!(format!("{err:#}").contains("unknown field `glibc-flor`"), "{err:#}");
        let err = policy(serde_json::json!({
            "package": "diag_tool",
            "targets": [{ "triple": "mips-unknown-linux-gnu" }]
        }))
        .err()
        .unwrap();
        assert!(format!("{err:#}").contains("unsupported architecture `mips`"), "{err:#}");
    }

    #[test]
    fn unconfigured_target_names_the_configured_ones() {
        let policy = policy(serde_json::json!({
            "package": "diag_tool",
            "targets": [{ "triple": "x86_64-unknown-linux-musl" }]
        }))
        .unwrap();
        let err = policy.target("aarch64-unknown-linux-gnu").err().unwrap().to_string();
        assert!(err.contains("configured are: x86_64-unknown-linux-musl"), "{err}");
    }

    #[test]
    fn command_line_glibc_suffix_overrides_the_floor() {
        let policy = policy(serde_json::json!({
            "package": "diag_tool",
            "glibc-floor": "2.17",
            "targets": [{ "triple": "x86_64-unknown-linux-gnu" }]
        }))
        .unwrap();
        let t = policy.target("x86_64-unknown-linux-gnu.2.28").unwrap();
        assert_eq!(t.glibc_floor, Some(GlibcVersion([2, 28, 0])));
    }

    #[test]
    fn binstall_overrides_name_configured_targets_and_unsupported_formats_are_refused() {
        let with_table = |binstall: serde_json::Value| {
            let mut json: serde_json::Value = serde_json::from_str(&metadata(serde_json::json!({
                "package": "diag_tool",
                "targets": [{ "triple": "x86_64-unknown-linux-musl" }]
            })))
            .unwrap();
            json["packages"][0]["metadata"] = serde_json::json!({ "binstall": binstall });
            Policy::from_metadata(&json.to_string())
        };
        let zip = serde_json::json!({ "pkg-fmt": "zip" });
        let other = serde_json::json!({ "overrides": { "x86_64-unknown-linux-gnu": zip } });
        let policy = with_table(other).unwrap();
        let names = &policy.targets[0].names;
        assert_eq!(names.archive, "diag_tool-x86_64-unknown-linux-musl-v1.2.3.tar.gz");
        let ours = serde_json::json!({ "overrides": { "x86_64-unknown-linux-musl": zip } });
        let err = format!("{:#}", with_table(ours).err().unwrap());
        assert!(err.contains("pkg-fmt `zip` is not supported"), "{err}");
        assert!(err.contains("writes tgz (.tar.gz) archives only"), "{err}");
    }

    #[test]
    fn the_signing_key_is_read_where_cargo_binstall_reads_it() {
        let with_signing = |signing: serde_json::Value| {
            let mut json: serde_json::Value = serde_json::from_str(&metadata(serde_json::json!({
                "package": "diag_tool",
                "targets": [{ "triple": "x86_64-unknown-linux-musl" }]
            })))
            .unwrap();
            json["packages"][0]["metadata"] =
                serde_json::json!({ "binstall": { "signing": signing } });
            Policy::from_metadata(&json.to_string())
        };
        let key = "RWRnmBcLmQbXVcEPWo2OOKMI36kki4GiI7gcBgIaPLwvxe14Wtxm9acX";
        let signed = with_signing(serde_json::json!({ "algorithm": "minisign", "pubkey": key }));
        assert_eq!(signed.unwrap().minisign_pubkey.as_deref(), Some(key));
        let refused = |signing| format!("{:#}", with_signing(signing).err().unwrap());
        let err = refused(serde_json::json!({ "algorithm": "gpg", "pubkey": key }));
        assert!(err.contains("algorithm `gpg`, expected `minisign`"), "{err}");
        let err = refused(serde_json::json!({ "algorithm": "minisign", "pubkey": "RW x'" }));
        assert!(err.contains("is not a minisign public key"), "{err}");
        let unsigned = policy(serde_json::json!({
            "package": "diag_tool",
            "targets": [{ "triple": "x86_64-unknown-linux-musl" }]
        }));
        assert_eq!(unsigned.unwrap().minisign_pubkey, None);
    }

    #[test]
    fn missing_release_table_says_where_it_belongs() {
        let json = serde_json::json!({
            "metadata": null, "packages": [], "target_directory": "/t"
        });
        let err = Policy::from_metadata(&json.to_string()).err().unwrap().to_string();
        assert!(err.contains("[workspace.metadata.release]"), "{err}");
    }

    #[test]
    fn the_smoke_run_wants_the_version_in_the_first_line_unless_the_policy_says_otherwise() {
        let p = policy(serde_json::json!({"package": "diag_tool", "targets": [{"triple": "x86_64-unknown-linux-musl"}]})).unwrap();
        let smoke = &p.smoke;
        assert_eq!(smoke.args, ["--version"]);
        let first = smoke.judge("diag_tool 1.2.3 (rev abc123)\nbuilt with love\n").unwrap();
        assert_eq!(first, "diag_tool 1.2.3 (rev abc123)");
        let err = smoke.judge("diag_tool 1.2.2\n1.2.3\n").unwrap_err().to_string();
        assert!(err.contains("`--version` printed `diag_tool 1.2.2` as its first line, expected one containing `1.2.3`"), "{err}");
        let smoke = serde_json::json!({"args": ["version", "--short"], "expect": "v1.2"});
        let p = policy(serde_json::json!({"package": "diag_tool", "smoke": smoke, "targets": [{"triple": "x86_64-unknown-linux-musl"}]})).unwrap();
        assert_eq!(p.smoke.args, ["version", "--short"]);
        assert!(p.smoke.judge("v1.2.3").is_ok());
    }

    #[test]
    fn a_package_with_several_binaries_ships_the_one_binaries_names() {
        let mut json: serde_json::Value = serde_json::from_str(&metadata(serde_json::json!({
            "package": "diag_tool", "targets": [{"triple": "x86_64-unknown-linux-musl"}]
        })))
        .unwrap();
        let targets = &mut json["packages"][0]["targets"];
        targets
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"kind": ["bin"], "name": "helper"}));
        let err = Policy::from_metadata(&json.to_string()).err().unwrap().to_string();
        assert!(
            err.contains("has 2 binaries (diag_tool, helper): name the one to ship with `binaries = [\"diag_tool\"]`"),
            "{err}"
        );
        json["metadata"]["release"]["binaries"] = serde_json::json!(["helper"]);
        assert_eq!(Policy::from_metadata(&json.to_string()).unwrap().bin, "helper");
        json["metadata"]["release"]["binaries"] = serde_json::json!(["nope"]);
        let err = Policy::from_metadata(&json.to_string()).err().unwrap().to_string();
        assert!(err.contains("names `nope`, which package `diag_tool` does not build"), "{err}");
    }
}
