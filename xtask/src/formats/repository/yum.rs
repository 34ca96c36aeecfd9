//! A yum/dnf repository: `repodata/` with `primary`, `filelists` and `other` (gzip-compressed
//! XML, named after their SHA-256 so that a client holding the previous `repomd.xml` still
//! finds what it names) and `repomd.xml`, which lists them and is signed as `repomd.xml.asc`.
//! The XML is what createrepo_c writes, for the fields dnf reads.

use std::fmt::Write;

use anyhow::Result;

use super::{IndexFile, PoolFile};
use crate::formats::linux_package;
use crate::formats::linux_package::rpm::read::{Capability, Package};
// The header tags (`tags::NAME`, ...) are the constants of the rpm writer.
use crate::formats::linux_package::rpm as tags;

/// An `.rpm` of the repository: its headers and where it is.
pub struct Rpm<'a> {
    pub package: Package<'a>,
    pub file: PoolFile,
}

/// The declaration of the `rpm:` elements' namespace, in `repomd.xml` and `primary`.
const RPM_NAMESPACE: &str = " xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\"";

/// A metadata file: its type in `repomd.xml`, root element, XML namespace, the further
/// namespace declarations of its root and its package entry.
type Kind = (&'static str, &'static str, &'static str, &'static str, fn(&Rpm) -> String);

const KINDS: [Kind; 3] = [
    ("primary", "metadata", "common", RPM_NAMESPACE, primary),
    ("filelists", "filelists", "filelists", "", filelists),
    ("other", "otherdata", "other", "", other),
];

/// The three metadata files, compressed and named as `repomd.xml` will name them, and then
/// `repomd.xml` itself, dated `date`.
pub fn indexes(rpms: &[Rpm], date: u64) -> Result<Vec<IndexFile>> {
    let mut files = Vec::new();
    let mut repomd = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/\
         metadata/repo\"{RPM_NAMESPACE}>\n  <revision>{date}</revision>\n"
    );
    for (kind, root, namespace, declarations, entry) in KINDS {
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"http://linux.duke.edu/\
             metadata/{namespace}\"{declarations} packages=\"{}\">\n",
            rpms.len()
        );
        rpms.iter().for_each(|rpm| xml.push_str(&entry(rpm)));
        xml.push_str(&format!("</{root}>\n"));
        let gz = IndexFile { path: String::new(), bytes: linux_package::gzip(xml.as_bytes())? };
        let path = format!("repodata/{}-{kind}.xml.gz", gz.sha256());
        let open = crate::formats::checksums::sha256_bytes(xml.as_bytes());
        write!(
            repomd,
            "  <data type=\"{kind}\">\n    <checksum type=\"sha256\">{}</checksum>\n    \
             <open-checksum type=\"sha256\">{open}</open-checksum>\n    <location href=\"{path}\"/>\
             \n    <timestamp>{date}</timestamp>\n    <size>{}</size>\n    <open-size>{}</open-size>\
             \n  </data>\n",
            gz.sha256(),
            gz.bytes.len(),
            xml.len()
        )?;
        files.push(IndexFile { path, ..gz });
    }
    repomd.push_str("</repomd>\n");
    files.push(IndexFile { path: "repodata/repomd.xml".into(), bytes: repomd.into_bytes() });
    Ok(files)
}

/// The `.repo` file users put into `/etc/yum.repos.d/`: packages and metadata both checked
/// against the key published at `key_url`.
pub fn repo_file(id: &str, base_url: &str, key_url: &str) -> String {
    format!(
        "[{id}]\nname={id}\nbaseurl={}/rpm\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\n\
         gpgkey={key_url}\n",
        base_url.trim_end_matches('/')
    )
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `<version epoch="0" ver="0.1.0" rel="1"/>`.
fn version(package: &Package) -> String {
    format!(
        "<version epoch=\"{}\" ver=\"{}\" rel=\"{}\"/>",
        package.number(tags::EPOCH),
        xml(&package.string(tags::VERSION)),
        xml(&package.string(tags::RELEASE))
    )
}

/// The `pkgid`, name and arch attributes the three files identify a package by.
fn identity(rpm: &Rpm) -> String {
    let p = &rpm.package;
    format!(
        "<package pkgid=\"{}\" name=\"{}\" arch=\"{}\">\n  {}\n",
        rpm.file.sha256,
        xml(&p.string(tags::NAME)),
        xml(&p.string(tags::ARCH)),
        version(p)
    )
}

fn primary(rpm: &Rpm) -> String {
    let p = &rpm.package;
    let s = |tag| xml(&p.string(tag));
    let (start, end) = p.header_range;
    let build = p.number(tags::BUILDTIME);
    let mut text = format!(
        "<package type=\"rpm\">\n  <name>{}</name>\n  <arch>{}</arch>\n  {}\n  <checksum \
         type=\"sha256\" pkgid=\"YES\">{}</checksum>\n  <summary>{}</summary>\n  \
         <description>{}</description>\n  <packager>{}</packager>\n  <url>{}</url>\n  <time \
         file=\"{build}\" build=\"{build}\"/>\n  <size package=\"{}\" installed=\"{}\" \
         archive=\"{}\"/>\n  <location href=\"{}\"/>\n  <format>\n    <rpm:license>{}\
         </rpm:license>\n    <rpm:vendor>{}</rpm:vendor>\n    <rpm:group>{}</rpm:group>\n    \
         <rpm:buildhost>{}</rpm:buildhost>\n    <rpm:sourcerpm>{}</rpm:sourcerpm>\n    \
         <rpm:header-range start=\"{start}\" end=\"{end}\"/>\n",
        s(tags::NAME),
        s(tags::ARCH),
        version(p),
        rpm.file.sha256,
        s(tags::SUMMARY),
        s(tags::DESCRIPTION),
        s(tags::PACKAGER),
        s(tags::URL),
        rpm.file.size,
        p.number(tags::SIZE),
        p.archive_size(),
        xml(&rpm.file.path),
        s(tags::LICENSE),
        s(tags::VENDOR),
        s(tags::GROUP),
        s(tags::BUILDHOST),
        s(tags::SOURCERPM),
    );
    let requires = newest_libc(p.requires().into_iter().filter(|r| !r.0.starts_with("rpmlib(")));
    for (list, capabilities) in [("provides", p.provides()), ("requires", requires)] {
        if !capabilities.is_empty() {
            text.push_str(&format!("    <rpm:{list}>\n"));
            capabilities.iter().for_each(|c| text.push_str(&capability(c)));
            text.push_str(&format!("    </rpm:{list}>\n"));
        }
    }
    // createrepo's rule: primary lists the files a dependency is likely to name.
    let paths = p.files().into_iter().map(|(path, _)| path);
    let named = paths.filter(|path| path.starts_with("/etc/") || path.contains("bin/"));
    text.extend(named.map(|path| format!("    <file>{}</file>\n", xml(&path))));
    text + "  </format>\n</package>\n"
}

/// createrepo_c lists only the newest `libc.so.6(GLIBC_x)` requirement, which implies the
/// others and `libc.so.6()`.
fn newest_libc(requires: impl Iterator<Item = Capability>) -> Vec<Capability> {
    let requires: Vec<Capability> = requires.collect();
    let version = |name: &str| -> Option<Vec<u32>> {
        let version = name.strip_prefix("libc.so.6(GLIBC_")?.split(')').next()?;
        version.split('.').map(|p| p.parse().ok()).collect()
    };
    let newest = requires.iter().filter_map(|r| version(&r.0)).max();
    requires
        .into_iter()
        .filter(|r| !r.0.starts_with("libc.so.6") || version(&r.0) == newest)
        .collect()
}

/// `<rpm:entry name="..." flags="EQ" epoch="0" ver="0.1.0" rel="1"/>`.
fn capability((name, flags, evr): &Capability) -> String {
    let mut text = format!("      <rpm:entry name=\"{}\"", xml(name));
    // The `RPMSENSE_LESS`, `_GREATER` and `_EQUAL` bits.
    let comparisons = [(2, "LT"), (4, "GT"), (8, "EQ"), (10, "LE"), (12, "GE")];
    if let Some((_, flag)) = comparisons.iter().find(|(bits, _)| flags & 0b1110 == *bits) {
        let (epoch, rest) = evr.split_once(':').unwrap_or(("0", evr));
        let (ver, rel) = rest.rsplit_once('-').map_or((rest, None), |(v, r)| (v, Some(r)));
        text.push_str(&format!(" flags=\"{flag}\" epoch=\"{epoch}\" ver=\"{}\"", xml(ver)));
        if let Some(rel) = rel {
            text.push_str(&format!(" rel=\"{}\"", xml(rel)));
        }
    }
    text + "/>\n"
}

fn filelists(rpm: &Rpm) -> String {
    let mut text = identity(rpm);
    for (path, is_dir) in rpm.package.files() {
        let kind = if is_dir { " type=\"dir\"" } else { "" };
        text.push_str(&format!("  <file{kind}>{}</file>\n", xml(&path)));
    }
    text + "</package>\n"
}

fn other(rpm: &Rpm) -> String {
    let mut text = identity(rpm);
    for (date, author, entry) in rpm.package.changelog() {
        text.push_str(&format!(
            "  <changelog author=\"{}\" date=\"{date}\">{}</changelog>\n",
            xml(&author),
            xml(&entry)
        ));
    }
    text + "</package>\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::linux_package::rpm;
    use crate::formats::linux_package::write_sample;

    #[test]
    fn repomd_names_each_compressed_file_by_its_hash_with_both_checksums() {
        let (_tmp, path) = write_sample("x86_64", rpm::build, rpm::file_name);
        let bytes = std::fs::read(&path).unwrap();
        let rpm = Rpm {
            package: Package::parse(&bytes).unwrap(),
            file: PoolFile {
                path: "packages/t.rpm".into(),
                size: bytes.len() as u64,
                sha256: "cd".repeat(32),
            },
        };
        let files = indexes(&[rpm], 1_700_000_000).unwrap();
        let repomd = String::from_utf8(files[3].bytes.clone()).unwrap();
        for file in &files[..3] {
            assert!(file.path.starts_with(&format!("repodata/{}-", file.sha256())));
            assert!(repomd.contains(&format!("<location href=\"{}\"/>", file.path)));
        }
        let mut primary = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&files[0].bytes[..]),
            &mut primary,
        )
        .unwrap();
        assert!(
            primary.contains("<version epoch=\"0\" ver=\"1.2.0~rc.1\" rel=\"1\"/>"),
            "{primary}"
        );
        assert!(primary.contains("<file>/usr/bin/diag_tool</file>"), "{primary}");
        assert!(
            primary.contains(
                "name=\"diag-tool\" flags=\"EQ\" epoch=\"0\" ver=\"1.2.0~rc.1\" rel=\"1\""
            ),
            "{primary}"
        );
        assert!(!primary.contains("rpmlib("), "{primary}");
        // As createrepo_c writes it: the newest libc version only.
        assert!(primary.contains("\"libc.so.6(GLIBC_2.16)(64bit)\""), "{primary}");
        assert!(!primary.contains("\"libc.so.6()(64bit)\""), "{primary}");
    }
}
