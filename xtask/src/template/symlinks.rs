//! TestArea's symbolic links, listed in `TestArea/symlinks.txt` (written by `cargo xtask codegen`)
//! so that copies which drop links (cargo-generate copies regular files only) can recreate them
//! with `cargo xtask symlinks`. Empty directories, which git drops, are kept out by a test.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::template::codegen::Codegen;
use crate::util::files;

const LIST: &str = "TestArea/symlinks.txt";
const SCANNED: &str = "TestArea";

/// Link path (from the workspace root, `/`-separated) to the link's target, as written.
type Links = BTreeMap<String, String>;

/// Keeps the list equal to TestArea's links. A listed link missing from the tree is not
/// dropped from the list: a copy that lost it is more likely than a deletion.
pub fn codegen(codegen: &mut Codegen) -> Result<()> {
    let root = codegen.root().to_path_buf();
    // A fork that dropped the sample has no TestArea, and no list of its links.
    if !root.join(SCANNED).exists() {
        return Ok(());
    }
    let listed = if root.join(LIST).exists() { parse(&read_list(&root)?)? } else { Links::new() };
    let found = scan(&root)?;
    let missing: Vec<&String> = listed.keys().filter(|l| !found.contains_key(*l)).collect();
    if let Some(first) = missing.first() {
        bail!(
            "{} listed links are missing from the tree (first: {first}): run \
             `cargo xtask symlinks` to recreate them, or delete their lines from {LIST} if they \
             were removed on purpose",
            missing.len()
        );
    }
    codegen.ensure(LIST, render(&found).as_bytes())
}

pub fn read_list(root: &Path) -> Result<String> {
    fs::read_to_string(root.join(LIST)).with_context(|| format!("reading {LIST}"))
}

/// Every symlink under TestArea, not followed: fixtures hold loops and dangling links on purpose.
fn scan(root: &Path) -> Result<Links> {
    let mut links = Links::new();
    for path in files::walk(&root.join(SCANNED), &|_| false)? {
        if path.symlink_metadata()?.file_type().is_symlink() {
            let target = fs::read_link(&path)?;
            let rel = path.strip_prefix(root).expect("walked from root");
            links.insert(slash(rel)?, slash(&target)?);
        }
    }
    Ok(links)
}

/// The path as the list writes it; a name the one-line format cannot hold is refused.
fn slash(path: &Path) -> Result<String> {
    let text = path.to_str().with_context(|| format!("{} is not UTF-8", path.display()))?;
    if text.contains(" -> ") || text.contains('\n') || text.starts_with('#') {
        bail!("{text}: a link named like this cannot be listed in {LIST}");
    }
    Ok(text.to_string())
}

fn render(links: &Links) -> String {
    let mut text = String::from(
        "# TestArea's symbolic links, `link -> target`. Written by `cargo xtask codegen`;\n\
         # `cargo xtask symlinks` recreates them (cargo-generate does not copy links).\n",
    );
    text.extend(links.iter().map(|(link, target)| format!("{link} -> {target}\n")));
    text
}

pub fn parse(text: &str) -> Result<Links> {
    let mut links = Links::new();
    let entries = (1..).zip(text.lines()).filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    for (n, line) in entries {
        let (link, target) = line
            .split_once(" -> ")
            .with_context(|| format!("{LIST}:{n}: expected `link -> target`"))?;
        if !link.starts_with("TestArea/") || link.split('/').any(|c| c == "..") {
            bail!("{LIST}:{n}: {link} is not a path inside TestArea");
        }
        links.insert(link.to_string(), target.to_string());
    }
    Ok(links)
}

/// Creates each listed link that does not exist under `into`; an existing path that is not the
/// listed link is an error, never overwritten.
pub fn restore(links: &Links, into: &Path) -> Result<usize> {
    let mut created = 0;
    for (link, target) in links {
        let path = into.join(link);
        match fs::read_link(&path) {
            Ok(existing) if existing == Path::new(target) => continue,
            Ok(existing) => bail!(
                "{} points to {}, not {target} as {LIST} says",
                path.display(),
                existing.display()
            ),
            Err(_) if path.symlink_metadata().is_ok() => {
                bail!("{} exists and is not a link to {target}", path.display())
            }
            Err(_) => {}
        }
        let parent = path.parent().unwrap_or(into);
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        std::os::unix::fs::symlink(PathBuf::from(target), &path)
            .with_context(|| format!("linking {} to {target}", path.display()))?;
        created += 1;
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    #[test]
    fn test_area_has_no_empty_directories() {
        fn visit(dir: &Path, empty: &mut Vec<PathBuf>) {
            let entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
            if entries.is_empty() {
                empty.push(dir.to_path_buf());
            }
            for entry in entries {
                if entry.file_type().unwrap().is_dir() {
                    visit(&entry.path(), empty);
                }
            }
        }
        let mut empty = Vec::new();
        visit(&root().join(SCANNED), &mut empty);
        assert!(
            empty.is_empty(),
            "git drops empty directories, so clones would lack these: put an empty `.keep` \
             file in each\n{empty:#?}"
        );
    }

    #[test]
    fn restored_links_match_the_list_and_a_second_restore_creates_none() {
        let tmp = tempfile::tempdir().unwrap();
        let links: Links = [
            ("TestArea/m/proc/loadavg", "loadavg"),
            ("TestArea/m/sys/class/net/eth0", "../../devices/pci/net/eth0"),
        ]
        .into_iter()
        .map(|(l, t)| (l.to_string(), t.to_string()))
        .collect();
        assert_eq!(restore(&links, tmp.path()).unwrap(), 2);
        assert_eq!(restore(&links, tmp.path()).unwrap(), 0);
        assert_eq!(scan(tmp.path()).unwrap(), links);
        assert_eq!(parse(&render(&links)).unwrap(), links);
    }

    #[test]
    fn a_file_where_a_link_belongs_is_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("TestArea/m/x");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "data").unwrap();
        let links: Links = [("TestArea/m/x".to_string(), "y".to_string())].into();
        assert!(restore(&links, tmp.path()).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "data");
    }

    #[test]
    fn list_lines_outside_test_area_are_refused() {
        assert!(parse("TestArea/../x -> y\n").is_err());
        assert!(parse("src/x -> y\n").is_err());
        assert!(parse("TestArea/x y\n").is_err());
    }
}
