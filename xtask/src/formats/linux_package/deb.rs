//! The `.deb` of a gnu target: an `ar` archive of `debian-binary`, `control.tar.gz` and
//! `data.tar.gz`, written here because it is three small members over the tar and gzip writers
//! the archives already use, and so reproducible byte for byte.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use md5::{Digest, Md5};

use super::{InstallFile, Kind, Metadata};
use crate::config::arch::Arch;
use crate::config::glibc::GlibcVersion;
use crate::formats::tarball::{self, Data, Layout, TarFile};
use crate::manifest::Binary;

/// Where Debian files system administration tools (lshw, dmidecode, smartmontools).
const SECTION: &str = "admin";
/// The libraries of glibc itself, which Debian's `libc6` ships, besides the loader.
const GLIBC_LIBRARIES: &[&str] =
    &["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1"];
/// Licenses whose text Debian keeps in /usr/share/common-licenses, by SPDX id: the copyright
/// file must point there instead of repeating them (lintian errors otherwise).
const COMMON_LICENSES: &[(&str, &str)] = &[
    ("Apache-2.0", "Apache-2.0"),
    ("CC0-1.0", "CC0-1.0"),
    ("MPL-1.1", "MPL-1.1"),
    ("MPL-2.0", "MPL-2.0"),
    ("GPL-2.0", "GPL-2"),
    ("GPL-3.0", "GPL-3"),
    ("LGPL-2.1", "LGPL-2.1"),
    ("LGPL-3.0", "LGPL-3"),
];

/// `diag-tool_0.1.0-1_amd64.deb`, as dpkg-deb names it.
pub fn file_name(name: &str, full_version: &str, arch: &Arch) -> String {
    format!("{name}_{full_version}_{}.deb", arch.debian)
}

/// The whole `.deb`: `files` (sorted, from `super::files`) owned by root, every
/// timestamp `meta.mtime`, depending on what the binary was verified to need.
pub fn build(meta: &Metadata, files: &[InstallFile], binary: &Binary) -> Result<Vec<u8>> {
    let control = control(meta, files, super::directories(files).len(), &depends(meta, binary)?);
    let md5sums: String =
        files.iter().map(|f| format!("{:x}  {}\n", Md5::digest(&f.contents), f.path)).collect();
    let control_files = [("control", control), ("md5sums", md5sums)].map(|(path, text)| {
        InstallFile { path: path.into(), contents: text.into_bytes(), kind: Kind::Other }
    });
    let control_tar = tar_gz(meta.mtime, &control_files)?;
    let data_tar = tar_gz(meta.mtime, files)?;

    let mut deb = b"!<arch>\n".to_vec();
    for (name, contents) in [
        ("debian-binary", b"2.0\n".as_slice()),
        ("control.tar.gz", &control_tar),
        ("data.tar.gz", &data_tar),
    ] {
        // The common ar format as dpkg-deb writes it: fixed-width decimal fields, a member
        // padded to an even size.
        let (mtime, uid, gid, mode, size) = (meta.mtime, 0, 0, 0o100644, contents.len());
        let header = format!("{name:<16}{mtime:<12}{uid:<6}{gid:<6}{mode:<8o}{size:<10}`\n");
        deb.extend_from_slice(header.as_bytes());
        deb.extend_from_slice(contents);
        if contents.len() % 2 == 1 {
            deb.push(b'\n');
        }
    }
    Ok(deb)
}

/// The `control` file of a `.deb`, read back from its bytes: what an apt repository's
/// `Packages` index lists of it.
pub fn read_control(deb: &[u8]) -> Result<String> {
    let mut rest = deb.strip_prefix(b"!<arch>\n").context("not a .deb: no ar magic")?;
    while rest.len() >= 60 {
        let (header, body) = rest.split_at(60);
        let name = String::from_utf8_lossy(&header[..16]);
        let size: usize = String::from_utf8_lossy(&header[48..58]).trim().parse()?;
        let contents = body.get(..size).context("a .deb member is cut short")?;
        if name.trim_end().trim_end_matches('/') == "control.tar.gz" {
            let gz = flate2::read::GzDecoder::new(contents);
            for entry in tar::Archive::new(gz).entries()? {
                let entry = entry?;
                if entry.path()?.to_str().map(|p| p.trim_start_matches("./")) == Some("control") {
                    return Ok(std::io::read_to_string(entry)?);
                }
            }
        }
        rest = &body[(size + size % 2).min(body.len())..];
    }
    bail!("the .deb has no control.tar.gz with a control file")
}

fn control(meta: &Metadata, files: &[InstallFile], dirs: usize, depends: &str) -> String {
    // dpkg-gencontrol's measure: KiB per file, rounded up, and one per directory.
    let kib: u64 =
        files.iter().map(|f| (f.contents.len() as u64).div_ceil(1024)).sum::<u64>() + dirs as u64;
    let mut text = format!(
        "Package: {}\nVersion: {}\nArchitecture: {}\nMaintainer: {}\nInstalled-Size: {kib}\n",
        meta.name,
        meta.full_version(),
        meta.arch.debian,
        meta.maintainer
    );
    if !depends.is_empty() {
        text += &format!("Depends: {depends}\n");
    }
    text += &format!("Section: {SECTION}\nPriority: optional\n");
    if let Some(homepage) = &meta.homepage {
        text += &format!("Homepage: {homepage}\n");
    }
    text += &format!("Description: {}\n", meta.summary);
    text += &indented(&meta.description);
    text
}

/// Deb822 continuation lines: each line indented by one space, an empty one written ` .`.
fn indented(text: &str) -> String {
    text.lines()
        .map(|line| match line.trim_end() {
            "" => " .\n".to_string(),
            line => format!(" {line}\n"),
        })
        .collect()
}

/// `libc6 (>= X)`, X the highest `GLIBC_` version the binary requires of glibc's libraries,
/// and `libgcc-s1 (>= Y)` likewise: dpkg-shlibdeps's result from the verified requirements
/// instead of the build machine's symbols files. Run on Debian 12, dpkg-shlibdeps writes
/// `libc6 (>= 2.34)` for the x86_64 binary (measured), which needs GLIBC_2.16 at most: glibc
/// 2.34 moved libpthread's and libdl's symbols into libc.so.6 and Debian's symbols file dates
/// them from there, although the binary asks libpthread.so.0 for them and runs on glibc 2.17.
fn depends(meta: &Metadata, binary: &Binary) -> Result<String> {
    let mut packages: BTreeMap<&str, Option<GlibcVersion>> = BTreeMap::new();
    for library in &binary.needed {
        let glibc =
            GLIBC_LIBRARIES.contains(&library.as_str()) || library == meta.arch.glibc_loader_name();
        let (package, prefix) = match library.as_str() {
            "libgcc_s.so.1" => ("libgcc-s1", "GCC_"),
            _ if glibc => ("libc6", "GLIBC_"),
            _ => bail!(
                "the binary needs {library}, and no Debian package is known for it: expected \
                 only glibc's libraries and libgcc_s.so.1 (see GLIBC_LIBRARIES in xtask/src/formats/linux_package/deb.rs)"
            ),
        };
        let newest = binary
            .version_requirements
            .iter()
            .filter(|r| r.file == *library)
            .filter_map(|r| r.version.strip_prefix(prefix))
            .filter_map(|v| GlibcVersion::parse(v).ok())
            .max();
        let entry = packages.entry(package).or_default();
        *entry = (*entry).max(newest);
    }
    Ok(packages
        .into_iter()
        .map(|(package, version)| version.map_or(package.into(), |v| format!("{package} (>= {v})")))
        .collect::<Vec<_>>()
        .join(", "))
}

/// `/usr/share/doc/NAME/copyright` in Debian's machine-readable format and the
/// `changelog.Debian.gz` every binary package carries.
pub fn doc_files(meta: &Metadata, licenses: &[(String, String)]) -> Result<Vec<InstallFile>> {
    let doc = |name: &str, contents, kind| InstallFile {
        path: format!("usr/share/doc/{}/{name}", meta.name),
        contents,
        kind,
    };
    Ok(vec![
        doc("changelog.Debian.gz", super::gzip(changelog(meta).as_bytes())?, Kind::Doc),
        doc("copyright", copyright(meta, licenses)?.into_bytes(), Kind::License),
    ])
}

fn changelog(meta: &Metadata) -> String {
    let entries: Vec<String> = meta.change_lines().iter().map(|l| wrap(l)).collect();
    format!(
        "{} ({}) unstable; urgency=medium\n\n{}\n\n -- {}  {}\n",
        meta.name,
        meta.full_version(),
        entries.join("\n"),
        meta.maintainer,
        rfc2822(meta.mtime)
    )
}

/// `  * text`, wrapped under 80 columns as lintian wants changelog lines.
fn wrap(text: &str) -> String {
    let mut lines = vec![String::from("  *")];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if last.len() + 1 + word.len() > 79 && last.len() > 4 {
            lines.push(format!("    {word}"));
        } else {
            last.push(' ');
            last.push_str(word);
        }
    }
    lines.join("\n")
}

/// The DEP-5 copyright file: the holder from the license texts (else the maintainer), each
/// license's text, or a pointer to Debian's copy of it.
fn copyright(meta: &Metadata, licenses: &[(String, String)]) -> Result<String> {
    let holder = licenses
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter_map(|line| line.trim().strip_prefix("Copyright"))
        .map(|rest| rest.trim_start_matches([' ', '©']).trim_start_matches("(c)").trim())
        .find(|rest| !rest.is_empty() && !rest.contains('['))
        // A public-domain dedication (UNLICENSE) names no holder: the maintainer then.
        .unwrap_or(&meta.maintainer);
    let ids = meta
        .license
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|t| !t.is_empty() && !matches!(*t, "OR" | "AND" | "WITH"));
    let expression = meta.license.replace(" OR ", " or ").replace(" AND ", " and ");
    let mut text = format!(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
         Upstream-Name: {}\nUpstream-Contact: {}\n",
        meta.upstream_name, meta.maintainer
    );
    if let Some(homepage) = &meta.homepage {
        text += &format!("Source: {homepage}\n");
    }
    text += &format!("\nFiles: *\nCopyright: {holder}\nLicense: {expression}\n");
    for id in ids {
        text += &format!("\nLicense: {id}\n");
        if let Some((_, common)) = COMMON_LICENSES.iter().find(|(spdx, _)| id.starts_with(spdx)) {
            text += &format!(
                " On Debian systems, the complete text of this license can be found in\n \
                 \"/usr/share/common-licenses/{common}\".\n"
            );
        } else {
            text += &indented(license_text(id, licenses)?);
        }
    }
    Ok(text)
}

/// The text of license `id`: `LICENSE-MIT` for MIT, `LICENSE-APACHE` for Apache-2.0,
/// `UNLICENSE` for Unlicense, or the only license file there is.
fn license_text<'a>(id: &str, licenses: &'a [(String, String)]) -> Result<&'a str> {
    let suffix =
        |name: &str| name.to_uppercase().split_once(['-', '.']).map(|(_, s)| s.to_string());
    let upper = id.to_uppercase();
    let found = licenses
        .iter()
        .find(|(name, _)| {
            name.to_uppercase() == upper || suffix(name).is_some_and(|s| upper.starts_with(&s))
        })
        .or(if licenses.len() == 1 { licenses.first() } else { None });
    match found {
        Some((_, text)) => Ok(text.trim_end()),
        None => bail!(
            "no license text for {id} among the LICENSE* files in `include`: expected a file \
             such as LICENSE-{upper}"
        ),
    }
}

/// A gzip-compressed tar of `files` (paths relative to `/`) and the directories above them,
/// as dpkg-deb writes them: `./`-prefixed names, owner root, every timestamp `mtime`.
fn tar_gz(mtime: u64, files: &[InstallFile]) -> Result<Vec<u8>> {
    let entries: Vec<TarFile> = files
        .iter()
        .map(|f| TarFile { name: &f.path, mode: f.mode(), data: Data::Bytes(&f.contents) })
        .collect();
    tarball::tar_gz(Vec::new(), &entries, &Layout { prefix: "./", owner: Some("root"), mtime })
}

/// `Tue, 14 Nov 2023 22:13:20 +0000`, the date form of Debian changelogs.
pub fn rfc2822(epoch: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month, day, weekday, (hour, minute, second)) = tarball::civil(epoch);
    let (weekday, month) = (DAYS[weekday], MONTHS[(month - 1) as usize]);
    format!("{weekday}, {day:02} {month} {year} {hour:02}:{minute:02}:{second:02} +0000")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::linux_package::{run_on, sample, sample_binary, write_sample};
    use crate::manifest::Requirement;

    fn dpkg_deb(args: &[&str], deb: &std::path::Path) -> String {
        run_on("dpkg-deb", args, deb)
    }

    #[test]
    fn dpkg_deb_reads_the_control_and_root_owned_files_at_the_fixed_time() {
        let (_tmp, deb) = write_sample("x86_64", build, file_name);
        assert!(deb.ends_with("diag-tool_1.2.0~rc.1-1_amd64.deb"));
        let control = dpkg_deb(&["--field"], &deb);
        let field = |name: &str| {
            let prefix = format!("{name}: ");
            control.lines().find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        };
        assert_eq!(field("Package").unwrap(), "diag-tool");
        assert_eq!(field("Version").unwrap(), "1.2.0~rc.1-1");
        assert_eq!(field("Architecture").unwrap(), "amd64");
        assert_eq!(field("Depends").unwrap(), "libc6 (>= 2.16)");
        assert_eq!(field("Homepage").unwrap(), "https://example.com/diag_tool");
        let info = dpkg_deb(&["--info"], &deb);
        assert!(
            info.contains(
                " Description: Hardware diagnostics\n  Reads /proc and /sys.\n  .\n  Checks them.\n"
            ),
            "{info}"
        );
        let listing = dpkg_deb(&["--contents"], &deb);
        let rows: Vec<Vec<&str>> =
            listing.lines().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows[0], ["drwxr-xr-x", "root/root", "0", "2023-11-14", "22:13", "./"]);
        let binary = rows.iter().find(|r| r[5] == "./usr/bin/diag_tool").expect("the binary");
        assert_eq!(binary[..2], ["-rwxr-xr-x", "root/root"]);
        assert!(rows.iter().all(|r| r[1] == "root/root" && r[3] == "2023-11-14"), "{listing}");
    }

    #[test]
    fn the_control_file_is_read_back_from_the_bytes() {
        let (_tmp, path) = write_sample("x86_64", build, file_name);
        let control = read_control(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(control, dpkg_deb(&["--field"], &path));
        assert!(control.starts_with("Package: diag-tool\n"), "{control}");
        assert!(read_control(b"!<arch>\n").is_err());
    }

    #[test]
    fn depends_on_the_newest_version_the_binary_requires_of_each_library_package() {
        let (meta, _) = sample("x86_64");
        let mut binary = sample_binary();
        assert_eq!(depends(&meta, &binary).unwrap(), "libc6 (>= 2.16)");
        binary.needed.push("libgcc_s.so.1".into());
        let gcc = Requirement { file: "libgcc_s.so.1".into(), version: "GCC_4.2.0".into() };
        binary.version_requirements.push(gcc);
        assert_eq!(depends(&meta, &binary).unwrap(), "libc6 (>= 2.16), libgcc-s1 (>= 4.2)");
        binary.needed.push("libssl.so.3".into());
        let err = depends(&meta, &binary).unwrap_err().to_string();
        assert!(err.contains("needs libssl.so.3, and no Debian package is known"), "{err}");
    }

    #[test]
    fn the_copyright_file_points_to_debians_apache_text_and_carries_the_mit_text() {
        let (meta, _) = sample("x86_64");
        let licenses = [
            (
                "LICENSE-MIT".to_string(),
                "MIT License\n\nCopyright (c) 2026 The authors\n\nPermission...\n".to_string(),
            ),
            (
                "LICENSE-APACHE".to_string(),
                "Apache License\n   Copyright [yyyy] [name of copyright owner]\n".to_string(),
            ),
        ];
        let text = copyright(&meta, &licenses).unwrap();
        assert!(
            text.contains("\nFiles: *\nCopyright: 2026 The authors\nLicense: MIT or Apache-2.0\n"),
            "{text}"
        );
        assert!(
            text.contains("License: MIT\n MIT License\n .\n Copyright (c) 2026 The authors\n"),
            "{text}"
        );
        assert!(text.contains("License: Apache-2.0\n On Debian systems, the complete text of this license can be found in\n \"/usr/share/common-licenses/Apache-2.0\"."), "{text}");
    }

    #[test]
    fn an_unlicense_text_names_no_holder_and_is_carried_as_it_is() {
        let (mut meta, _) = sample("x86_64");
        meta.license = "Unlicense OR MIT".into();
        let dedication = "This is free and unencumbered software released into the public domain.";
        let licenses = [
            ("LICENSE-MIT".to_string(), "MIT License\n".to_string()),
            ("UNLICENSE".to_string(), format!("{dedication}\n")),
        ];
        let text = copyright(&meta, &licenses).unwrap();
        assert!(
            text.contains(&format!(
                "Copyright: {}
",
                meta.maintainer
            )),
            "{text}"
        );
        assert!(text.contains(&format!("License: Unlicense\n {dedication}\n")), "{text}");
    }

    #[test]
    fn long_changelog_items_are_wrapped_under_80_columns() {
        let text = wrap(&"word ".repeat(40));
        assert!(text.lines().all(|l| l.len() < 80), "{text}");
        assert!(
            text.starts_with("  * word") && text.lines().nth(1).unwrap().starts_with("    word")
        );
    }

    #[test]
    fn the_changelog_lists_the_versions_items() {
        let (meta, _) = sample("x86_64");
        let text = changelog(&meta);
        assert!(
            text.contains(
                "unstable; urgency=medium\n\n  * Added: a feature.\n  * Fixed: a bug.\n\n -- "
            ),
            "{text}"
        );
    }

    #[test]
    fn changelog_dates_are_rfc_2822_in_utc() {
        assert_eq!(rfc2822(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn continuation_lines_are_indented_and_blank_ones_are_dots() {
        assert_eq!(indented("one\ntwo\n\nthree"), " one\n two\n .\n three\n");
    }
}
