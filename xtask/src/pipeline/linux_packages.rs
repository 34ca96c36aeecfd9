//! What the .deb and .rpm packages install and say of themselves: one layout of the verified
//! binary, its man pages, completions and licenses, and one reading of Cargo.toml's metadata.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

use crate::config::arch::Arch;
use crate::config::policy::Policy;
use crate::config::target::{Libc, Target};
use crate::formats::linux_package::{self, Distro, InstallFile, Kind, Metadata, deb, rpm};
use crate::formats::{changelog, checksums};
use crate::manifest::{Artifact, ArtifactKind, Binary};
use crate::util::files;

/// Why `target` gets no .deb or .rpm, if it does not: those carry the gnu binary, which the
/// distribution's C library runs; a musl binary ships in the archive.
pub fn not_applicable(target: &Target) -> Option<&'static str> {
    (target.libc == Libc::Musl)
        .then_some("a musl target: the .deb and .rpm carry the gnu binary of its architecture")
}

/// The .deb and .rpm of `target`, if it gets them: for the plan and for cleaning up after a
/// failed target.
pub fn file_names(policy: &Policy, target: &Target) -> Vec<String> {
    if not_applicable(target).is_some() {
        return Vec::new();
    }
    let name = package_name(policy);
    let version = format!("{}-{}", upstream_version(policy), linux_package::REVISION);
    vec![deb::file_name(&name, &version, target.arch), rpm::file_name(&name, &version, target.arch)]
}

/// `diag-tool`: Debian allows no `_` in package names, and Fedora's follow suit.
fn package_name(policy: &Policy) -> String {
    policy.package.name.replace('_', "-").to_lowercase()
}

/// `0.1.0`: the upstream version, a pre-release after `~` (`1.0.0~rc.1`, which both dpkg and
/// rpm sort before the release, as semver does).
fn upstream_version(policy: &Policy) -> String {
    policy.version().replacen('-', "~", 1)
}

/// Writes the package of `distro` for a gnu target into `out_dir`: the verified `binary`
/// (the bytes verify read, not the file, which could have changed since) and what verify proved
/// of it (`needs`), with the workspace's man pages, completions and licenses.
pub fn write(
    distro: Distro,
    policy: &Policy,
    (binary, needs): (&[u8], &Binary),
    arch: &'static Arch,
    mtime: u64,
    (root, out_dir): (&Path, &Path),
) -> Result<Artifact> {
    let meta = metadata(policy, arch, mtime)?;
    let files = files(distro, policy, &meta, binary, root)?;
    let (name, bytes, kind) = match distro {
        Distro::Debian => (
            deb::file_name(&meta.name, &meta.full_version(), arch),
            deb::build(&meta, &files, needs)?,
            ArtifactKind::Deb,
        ),
        Distro::Rpm => (
            rpm::file_name(&meta.name, &meta.full_version(), arch),
            rpm::build(&meta, &files, needs)?,
            ArtifactKind::Rpm,
        ),
    };
    files::write_atomic(&out_dir.join(&name), &bytes)?;
    Ok(Artifact { name, kind, size: bytes.len() as u64, sha256: checksums::sha256_bytes(&bytes) })
}

/// The metadata of the shipped package, each missing field named with where it goes.
pub fn metadata(policy: &Policy, arch: &'static Arch, mtime: u64) -> Result<Metadata> {
    let package = &policy.package;
    let cargo_toml = package.manifest_path.display();
    let text = package.description.clone().with_context(|| {
        format!("{cargo_toml} has no `description`: the .deb and .rpm need it as their summary")
    })?;
    // The first line is the summary; the rest, when `long-description` is not set, the text.
    let (summary, rest) = text.trim().split_once('\n').unwrap_or((text.trim(), ""));
    let summary = summary.trim().to_string();
    ensure!(
        summary.chars().count() < 80,
        "the first line of `description` in {cargo_toml} is {} characters: the .deb and \
         .rpm take it as their one-line summary, which must be under 80; shorten it and put \
         the rest on the next lines or in `long-description` in [workspace.metadata.release]",
        summary.chars().count()
    );
    let rest = Some(rest.trim().to_string()).filter(|r| !r.is_empty());
    let description = policy.long_description.clone().or(rest).context(
        "[workspace.metadata.release] in Cargo.toml has no `long-description`, and \
         `description` one line: the .deb and .rpm need a few lines below the summary",
    )?;
    if let Some(long) = description.lines().find(|l| l.chars().count() >= 80) {
        bail!(
            "`long-description` in [workspace.metadata.release] has a line of {} \
             characters: Debian and RPM tools display 79 at most, wrap it (`{long}`)",
            long.chars().count()
        );
    }
    let license = package.license.clone().with_context(|| {
        format!(
            "{cargo_toml} has no `license`: add the SPDX expression, e.g. \"MIT OR Apache-2.0\""
        )
    })?;
    let maintainer = package.authors.first().cloned().with_context(|| {
        format!(
            "{cargo_toml} has no `authors`: the first is the Maintainer of the .deb and the \
             Packager of the .rpm; add authors = [\"Name <address>\"]"
        )
    })?;
    ensure!(
        maintainer.contains('<') && maintainer.ends_with('>'),
        "the first of `authors` in {cargo_toml} is `{maintainer}`: expected `Name <address>`, \
         which Debian requires of a Maintainer"
    );
    Ok(Metadata {
        name: package_name(policy),
        upstream_name: package.name.clone(),
        version: upstream_version(policy),
        summary,
        description: description.trim().to_string(),
        license,
        homepage: package.homepage.clone().or(package.repository.clone()),
        maintainer,
        arch,
        mtime,
        changes: changes(policy)?,
    })
}

/// The items of the version's section of `CHANGELOG.md`; a missing one is an error unless the
/// policy says `changelog = false`.
pub fn changes(policy: &Policy) -> Result<Vec<String>> {
    if !policy.changelog {
        return Ok(Vec::new());
    }
    let path = crate::project_root().join("CHANGELOG.md");
    let version = policy.version();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let section = changelog::section(&text, version).with_context(|| {
        format!(
            "{} has no `## [{version}]` section: write the release notes of {version} there (Keep a Changelog style), or set `changelog = false` in [workspace.metadata.release]",
            path.display()
        )
    })?;
    Ok(changelog::items(&section))
}

/// Every file the package of `distro` installs, sorted by path.
pub fn files(
    distro: Distro,
    policy: &Policy,
    meta: &Metadata,
    binary: &[u8],
    root: &Path,
) -> Result<Vec<InstallFile>> {
    let bin = &policy.bin;
    let mut files = vec![InstallFile {
        path: format!("usr/bin/{bin}"),
        contents: binary.to_vec(),
        kind: Kind::Program,
    }];
    if let Some(dir) = &policy.man {
        files.extend(man_pages(&configured(root, dir, "man")?)?);
    }
    if let Some(dir) = &policy.completions {
        files.extend(completions(distro, bin, &configured(root, dir, "completions")?)?);
    }
    let licenses = license_files(policy, root)?;
    match distro {
        Distro::Debian => files.extend(deb::doc_files(meta, &licenses)?),
        Distro::Rpm => files.extend(licenses.into_iter().map(|(name, text)| InstallFile {
            path: format!("usr/share/licenses/{}/{name}", meta.name),
            contents: text.into_bytes(),
            kind: Kind::License,
        })),
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The folder the policy's `key` names, which must be there.
fn configured(root: &Path, dir: &Path, key: &str) -> Result<std::path::PathBuf> {
    let path = root.join(dir);
    ensure!(
        path.is_dir(),
        "`{key} = \"{}\"` in [workspace.metadata.release]: no such folder in the workspace; fix \
         the path or remove the key",
        dir.display()
    );
    Ok(path)
}

/// `man/NAME.N` becomes `usr/share/man/manN/NAME.N.gz`, compressed as `gzip -9n` does.
fn man_pages(dir: &Path) -> Result<Vec<InstallFile>> {
    let mut pages = Vec::new();
    for path in files::walk(dir, &|_| true)
        .with_context(|| format!("reading the generated man pages in {}", dir.display()))?
    {
        let name = file_name(&path)?;
        let section = name
            .rsplit_once('.')
            .map(|(_, s)| s)
            .filter(|s| s.starts_with(|c: char| c.is_ascii_digit()))
            .with_context(|| {
                format!("{}: expected a man page named NAME.SECTION", path.display())
            })?;
        let text = files::read_regular(&path, files::TEXT_CAP)?;
        pages.push(InstallFile {
            path: format!("usr/share/man/man{}/{name}.gz", &section[..1]),
            contents: linux_package::gzip(&text)?,
            kind: Kind::Doc,
        });
    }
    Ok(pages)
}

/// The completions clap_complete writes (`BIN.bash`, `_BIN`, `BIN.fish`), each where its shell
/// loads packaged completions from.
fn completions(distro: Distro, bin: &str, dir: &Path) -> Result<Vec<InstallFile>> {
    let zsh = match distro {
        Distro::Debian => "usr/share/zsh/vendor-completions",
        Distro::Rpm => "usr/share/zsh/site-functions",
    };
    let places = [
        // bash-completion loads a command's completion from the file of its name.
        (format!("{bin}.bash"), format!("usr/share/bash-completion/completions/{bin}")),
        (format!("_{bin}"), format!("{zsh}/_{bin}")),
        (format!("{bin}.fish"), format!("usr/share/fish/vendor_completions.d/{bin}.fish")),
    ];
    let mut files = Vec::new();
    for path in files::walk(dir, &|_| true)
        .with_context(|| format!("reading the generated completions in {}", dir.display()))?
    {
        let name = file_name(&path)?;
        let Some((_, installed)) = places.iter().find(|(file, _)| *file == name) else {
            bail!(
                "{}: expected the completions {bin}.bash, _{bin} and {bin}.fish only; \
                 say in xtask/src/pipeline/linux_packages.rs where another shell's file is installed",
                path.display()
            );
        };
        let contents = files::read_regular(&path, files::TEXT_CAP)?;
        files.push(InstallFile { path: installed.clone(), contents, kind: Kind::Other });
    }
    Ok(files)
}

/// Whether a file's name says it holds a license text.
pub fn is_license(name: &str) -> bool {
    let upper = name.to_uppercase();
    ["LICENSE", "LICENCE", "COPYING", "UNLICENSE"].iter().any(|p| upper.starts_with(p))
}

/// The license texts, by file name: the package's `license-file`, and the `LICENSE*`,
/// `COPYING*` and `UNLICENSE` files of the package's folder and among the `include` files.
pub fn license_files(policy: &Policy, root: &Path) -> Result<Vec<(String, String)>> {
    let package_dir = (policy.package.manifest_path.parent()).context("a package folder")?;
    let mut paths: Vec<std::path::PathBuf> =
        (policy.package.license_file.iter()).map(|f| package_dir.join(f)).collect();
    let beside = std::fs::read_dir(package_dir).context("reading the package's folder")?;
    let mut beside: Vec<_> = beside.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    beside.sort();
    paths.extend(beside.into_iter().filter(|p| is_license(&file_name(p).unwrap_or_default())));
    for include in &policy.include {
        if (include.file_name()).is_some_and(|n| is_license(&n.to_string_lossy())) {
            paths.push(files::inside(root, include, "`include` entry")?);
        }
    }
    let mut licenses: Vec<(String, String)> = Vec::new();
    for path in paths {
        let name = file_name(&path)?;
        if licenses.iter().all(|(n, _)| *n != name) {
            let text = files::read_text(&path)
                .with_context(|| format!("reading the license text {}", path.display()))?;
            licenses.push((name, text));
        }
    }
    ensure!(
        !licenses.is_empty(),
        "no license text: set `license-file` in the package's Cargo.toml, or put a LICENSE*, \
         COPYING* or UNLICENSE file beside it or among `include` in \
         [workspace.metadata.release]: the .deb and .rpm must carry it"
    );
    Ok(licenses)
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| format!("{} has no UTF-8 file name", path.display()))
}

#[cfg(test)]
mod tests {
    use crate::formats::linux_package::{directories, gzip};
    use xshell::Shell;

    use super::*;

    #[test]
    fn the_workspace_packages_put_every_file_where_its_distribution_looks() {
        let sh = Shell::new().unwrap();
        sh.change_dir(crate::project_root());
        let policy = Policy::read(&sh).unwrap();
        let arch = Arch::from_rust("x86_64").unwrap();
        let meta = metadata(&policy, arch, 1_700_000_000).unwrap();
        assert_eq!(meta.name, policy.package.name.replace('_', "-"));
        assert!(meta.summary.len() < 80 && meta.maintainer.ends_with('>'));
        let bin = &policy.bin;
        let paths = |distro| -> Vec<String> {
            let files = files(distro, &policy, &meta, b"binary", &sh.current_dir()).unwrap();
            assert_eq!(files[0].contents, b"binary", "the bytes given are the binary");
            files.into_iter().map(|f| f.path).collect()
        };
        let debian = paths(Distro::Debian);
        let rpm = paths(Distro::Rpm);
        for shared in [
            format!("usr/bin/{bin}"),
            format!("usr/share/man/man1/{bin}.1.gz"),
            format!("usr/share/man/man1/{bin}-check.1.gz"),
            format!("usr/share/bash-completion/completions/{bin}"),
            format!("usr/share/fish/vendor_completions.d/{bin}.fish"),
        ] {
            assert!(debian.contains(&shared) && rpm.contains(&shared), "{shared}");
        }
        let doc = format!("usr/share/doc/{}", meta.name);
        assert!(debian.contains(&format!("usr/share/zsh/vendor-completions/_{bin}")));
        assert!(debian.contains(&format!("{doc}/copyright")));
        assert!(debian.contains(&format!("{doc}/changelog.Debian.gz")));
        assert!(rpm.contains(&format!("usr/share/zsh/site-functions/_{bin}")));
        let licenses = format!("usr/share/licenses/{}", meta.name);
        assert!(rpm.contains(&format!("{licenses}/LICENSE-MIT")));
        assert!(rpm.contains(&format!("{licenses}/LICENSE-APACHE")));
        let mut sorted = debian.clone();
        sorted.sort();
        assert_eq!(debian, sorted);
    }

    #[test]
    fn a_missing_configured_folder_is_named_by_its_key_and_a_long_description_splits() {
        let sh = Shell::new().unwrap();
        sh.change_dir(crate::project_root());
        let mut policy = Policy::read(&sh).unwrap();
        let arch = Arch::from_rust("x86_64").unwrap();
        policy.package.description = Some("A tool.\nIt does things,\nwell.\n".into());
        policy.long_description = None;
        let meta = metadata(&policy, arch, 0).unwrap();
        assert_eq!(
            (meta.summary.as_str(), meta.description.as_str()),
            ("A tool.", "It does things,\nwell.")
        );
        policy.man = Some("diag_tool/no-man".into());
        let err = files(Distro::Debian, &policy, &meta, b"", &sh.current_dir()).unwrap_err();
        let err = err.to_string();
        assert!(
            err.starts_with("`man = \"diag_tool/no-man\"` in [workspace.metadata.release]"),
            "{err}"
        );
        policy.man = None;
        policy.completions = None;
        let files = files(Distro::Rpm, &policy, &meta, b"", &sh.current_dir()).unwrap();
        assert!(files.iter().all(|f| !f.path.contains("/man/") && !f.path.contains("completion")));
    }

    #[test]
    fn only_gnu_targets_get_packages_named_as_the_distributions_name_them() {
        let sh = Shell::new().unwrap();
        sh.change_dir(crate::project_root());
        let policy = Policy::read(&sh).unwrap();
        let version = policy.version();
        let name = policy.package.name.replace('_', "-");
        let gnu = Target::parse("aarch64-unknown-linux-gnu").unwrap();
        assert_eq!(
            file_names(&policy, &gnu),
            [format!("{name}_{version}-1_arm64.deb"), format!("{name}-{version}-1.aarch64.rpm")]
        );
        let musl = Target::parse("aarch64-unknown-linux-musl").unwrap();
        assert!(file_names(&policy, &musl).is_empty());
        assert!(not_applicable(&musl).is_some() && not_applicable(&gnu).is_none());
    }

    fn file(path: &str) -> InstallFile {
        InstallFile { path: path.into(), contents: Vec::new(), kind: Kind::Other }
    }

    #[test]
    fn every_parent_directory_is_listed_once_before_its_children() {
        let files = [file("usr/bin/tool"), file("usr/share/man/man1/tool.1.gz")];
        let dirs: Vec<String> = directories(&files).into_iter().collect();
        assert_eq!(dirs, ["usr", "usr/bin", "usr/share", "usr/share/man", "usr/share/man/man1"]);
    }

    #[test]
    fn man_pages_are_compressed_with_maximum_compression_and_no_name_or_time() {
        let gz = gzip(b".TH TOOL 1\n").unwrap();
        // Magic, deflate, no flags (so no name), mtime 0, XFL 2 (`file`: "max compression").
        assert_eq!(&gz[..9], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2]);
    }
}
