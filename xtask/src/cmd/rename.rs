//! `cargo xtask rename NEW_NAME`: gives the shipped package another name in every file of the
//! workspace (directory, package, library, binary, archives, docs); cargo itself then rewrites
//! Cargo.lock, and `cargo xtask codegen` the files generated from the CLI.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use xshell::{Shell, cmd};

use crate::config::policy::Policy;
use crate::config::workspace::Lock;
use crate::flags;
use crate::util::files;

impl flags::Rename {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let old = Policy::read(sh)?.package.name;
        let root = sh.current_dir();
        let plan = Plan::new(&root, &old, &self.name)?;
        plan.apply(&root)?;
        let new = Names::new(&self.name);
        // A name of another length re-wraps lines, and CI checks formatting.
        cmd!(sh, "cargo fmt --all")
            .run()
            .context("formatting the renamed code (rustup component add rustfmt)")?;
        // The lock file names the package too; cargo rewrites its own file, touching nothing
        // but the workspace members.
        cmd!(sh, "cargo update --workspace --offline --quiet")
            .run()
            .context("updating Cargo.lock for the new name")?;
        // Completions spell the name in ways no text rule should guess (`_my_tool()`,
        // `my__tool__subcmd`): they are generated again from the renamed CLI.
        cmd!(sh, "cargo xtask codegen")
            .run()
            .context("regenerating the files generated from the renamed package")?;
        println!(
            "renamed `{old}` to `{}` (Rust code: `{}`): {} files rewritten, {} paths moved",
            new.package,
            new.rust,
            plan.writes.len(),
            plan.moves.len()
        );
        for (from, to) in &plan.moves {
            println!("  {} -> {}", from.display(), to.display());
        }
        println!("next: cargo test --workspace --locked && git add -A && git commit");
        Ok(())
    }
}

/// The spellings of one package name. Cargo and file names use the name as given (`my-tool`),
/// Rust paths the library name (`my_tool`), constants and environment variables `MY_TOOL`.
#[derive(Debug)]
struct Names {
    package: String,
    rust: String,
    kebab: String,
    screaming: String,
}

impl Names {
    fn new(package: &str) -> Names {
        let rust = package.replace('-', "_");
        Names {
            package: package.to_string(),
            kebab: package.replace('_', "-"),
            screaming: rust.to_ascii_uppercase(),
            rust,
        }
    }

    /// The spellings to look for; duplicates removed, since `tool` is all of them but one.
    fn patterns(&self) -> Vec<(&str, Form)> {
        let mut seen = std::collections::HashSet::new();
        [
            (self.package.as_str(), Form::Name),
            (self.rust.as_str(), Form::Name),
            (self.kebab.as_str(), Form::Kebab),
            (self.screaming.as_str(), Form::Screaming),
        ]
        .into_iter()
        .filter(|(text, _)| seen.insert(*text))
        .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    /// The package, library, binary, directory or archive name: which one the context says.
    Name,
    /// `my-tool`, where the name was spelled so on purpose: Debian and RPM package names
    /// (which allow no `_`), e-mail addresses.
    Kebab,
    /// `MY_TOOL`, also as the prefix of `MY_TOOL_ROOT`.
    Screaming,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whole-word occurrences of any spelling of `names`. For `my_tool`, `my_tools`, `xmy_tool`
/// and `my_tool_x` are other words. Three glued spellings are the name: `CARGO_BIN_EXE_<bin>`
/// (cargo's), `_<bin>` (zsh's completion function and file) and `<name>_<version>` (Debian's
/// file name, `my-tool_1.0-1_amd64.deb`). Each is its byte range and the spelling's form.
fn find(text: &str, names: &Names) -> Vec<(Range<usize>, Form)> {
    let patterns = names.patterns();
    let bytes = text.as_bytes();
    let word_before = |at: usize| at > 0 && is_word(bytes[at - 1]);
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hit = patterns.iter().find(|(p, form)| {
            let end = i + p.len();
            let next = |n: usize| bytes.get(end + n).copied();
            bytes[i..].starts_with(p.as_bytes())
                && (!word_before(i)
                    || text[..i].ends_with("CARGO_BIN_EXE_")
                    || (bytes[i - 1] == b'_' && !word_before(i - 1)))
                && (next(0).is_none_or(|b| !is_word(b))
                    || (next(0) == Some(b'_')
                        && (*form == Form::Screaming
                            || next(1).is_some_and(|b| b.is_ascii_digit() || b == b'<'))))
        });
        match hit {
            Some((p, form)) => {
                found.push((i..i + p.len(), *form));
                i += p.len();
            }
            None => i += 1,
        }
    }
    found
}

/// `text` with every spelling of `old` replaced by the matching spelling of `new`. A name is a
/// Rust identifier (in Rust code outside strings and comments, or `old::run` anywhere) or else
/// a package, binary, directory or archive name: Cargo.toml, docs, scripts, `-p old`, argv[0].
fn rewrite(text: &str, old: &Names, new: &Names, rust_source: bool) -> String {
    let prose = if rust_source { strings_and_comments(text) } else { Vec::new() };
    let in_code = |at: usize| rust_source && !prose.iter().any(|r| r.contains(&at));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, form) in find(text, old) {
        let (before, after) = (&text[..at.start], &text[at.end..]);
        let replacement = match form {
            Form::Screaming => &new.screaming,
            Form::Kebab => &new.kebab,
            Form::Name
                if in_code(at.start)
                    || after.starts_with("::")
                    || before.ends_with("use ")
                    || before.ends_with("extern crate ") =>
            {
                &new.rust
            }
            Form::Name => &new.package,
        };
        out.push_str(&text[copied..at.start]);
        out.push_str(replacement);
        copied = at.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Byte ranges of string literals and comments in Rust source: just enough lexing to tell an
/// identifier from a word in prose. Char literals are skipped so that `'"'` opens no string.
fn strings_and_comments(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let ident_before = i > 0 && is_word(b[i - 1]);
        if b[i..].starts_with(b"//") {
            i = text[i..].find('\n').map_or(b.len(), |n| i + n);
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if !ident_before && (b[i] == b'r' || b[i..].starts_with(b"br")) {
            let r = if b[i] == b'r' { i } else { i + 1 };
            let hashes = b[r + 1..].iter().take_while(|&&c| c == b'#').count();
            if b.get(r + 1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close = format!("\"{}", "#".repeat(hashes));
            let body = r + 2 + hashes;
            i = text[body..].find(&close).map_or(b.len(), |n| body + n + close.len());
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\''), else a lifetime or label.
            if b.get(i + 1) == Some(&b'\\') {
                i = text.get(i + 3..).and_then(|t| t.find('\'')).map_or(b.len(), |n| i + 3 + n + 1);
            } else {
                let len = text[i + 1..].chars().next().map_or(0, char::len_utf8);
                i += if b.get(i + 1 + len) == Some(&b'\'') { len + 2 } else { 1 };
            }
            continue;
        } else {
            i += 1;
            continue;
        }
        ranges.push(start..i.min(b.len()));
    }
    ranges
}

/// Cargo's own checks, plus names that break a workspace: keywords cannot be named in `use`,
/// and `build`, `deps` and `examples` are directories in `target/<profile>/` next to the binary.
fn check_name(new: &str, old: &str) -> Result<()> {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
        "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
        "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
        "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
        "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    const RESERVED: &[&str] = &[
        "alloc",
        "build",
        "core",
        "deps",
        "examples",
        "incremental",
        "proc_macro",
        "std",
        "test",
        "xtask",
    ];
    let example = "for example `my-tool`";
    ensure!(!new.is_empty(), "the new name is empty: give one, {example}");
    ensure!(new != old, "`{new}` is already the name of the shipped package");
    let valid_chars =
        new.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    ensure!(
        valid_chars && new.as_bytes()[0].is_ascii_lowercase(),
        "`{new}` is not a package name: use lowercase ASCII letters, digits, `-` and `_`, \
         starting with a letter ({example})"
    );
    ensure!(
        !new.ends_with(['-', '_']) && !new.contains("--") && !new.contains("__"),
        "`{new}` has a stray separator: use single `-` or `_` between words ({example})"
    );
    ensure!(new.len() <= 64, "`{new}` is longer than the 64 characters crates.io allows");
    let rust = new.replace('-', "_");
    ensure!(
        !KEYWORDS.contains(&rust.as_str()),
        "`{new}` is a Rust keyword: code could not name the library `{rust}`"
    );
    ensure!(
        !RESERVED.contains(&rust.as_str()),
        "`{new}` is reserved by Rust or Cargo, or names a crate of this workspace"
    );
    Ok(())
}

/// Every edit, computed and checked before the first one is made, so that a refused rename
/// leaves the tree as it was.
struct Plan {
    /// Files whose text changes, at their current paths.
    writes: Vec<(PathBuf, String)>,
    /// Paths whose last component changes, deepest first, so each parent still exists.
    moves: Vec<(PathBuf, PathBuf)>,
}

impl Plan {
    fn new(root: &Path, old: &str, new: &str) -> Result<Plan> {
        check_name(new, old)?;
        let (old, new) = (Names::new(old), Names::new(new));
        let mut writes = Vec::new();
        let mut moves = Vec::new();
        check_dependencies(root, &new)?;
        for (rel, is_dir) in &workspace_paths(root)? {
            let name = rel.file_name().unwrap().to_string_lossy();
            // zsh completions are named `_<binary>`.
            let prefix = if name.starts_with('_') { "_" } else { "" };
            let renamed = format!("{prefix}{}", rewrite(&name[prefix.len()..], &old, &new, false));
            if renamed != name {
                let to = rel.with_file_name(renamed);
                if root.join(&to).symlink_metadata().is_ok() {
                    bail!("cannot move {} to {}: it exists", rel.display(), to.display());
                }
                moves.push((rel.clone(), to));
            }
            if *is_dir {
                continue;
            }
            let path = root.join(rel);
            let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            // Fixtures may hold any bytes; only text can name the package.
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let rust_source = rel.extension().is_some_and(|e| e == "rs");
            let rewritten = rewrite(&text, &old, &new, rust_source);
            if rewritten != text {
                writes.push((rel.clone(), rewritten));
            }
        }
        moves.sort_by_key(|(from, _)| std::cmp::Reverse(from.components().count()));
        Ok(Plan { writes, moves })
    }

    fn apply(&self, root: &Path) -> Result<()> {
        for (rel, text) in &self.writes {
            let path = root.join(rel);
            let permissions = fs::metadata(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .permissions();
            // Keeps `.ci/run` executable: a fresh temporary file has default permissions.
            files::write_atomic_with(&path, |file| {
                file.set_permissions(permissions)?;
                std::io::Write::write_all(file, text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))
            })?;
        }
        for (from, to) in &self.moves {
            fs::rename(root.join(from), root.join(to))
                .with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
        }
        Ok(())
    }
}

/// The workspace's files and directories, relative to `root`, deepest last. Skips `.git`,
/// `Cargo.lock` (cargo rewrites it), build output (cargo marks its target directories with
/// CACHEDIR.TAG) and symlinks, which name no package.
fn workspace_paths(root: &Path) -> Result<Vec<(PathBuf, bool)>> {
    let skip = |dir: &Path| {
        dir.join("CACHEDIR.TAG").exists() || dir == root.join(".git") || dir == root.join("target")
    };
    let mut paths: Vec<(PathBuf, bool)> = Vec::new();
    for file in files::walk(root, &skip)? {
        let rel = file.strip_prefix(root).expect("walked from root").to_path_buf();
        if rel == Path::new("Cargo.lock") || file.symlink_metadata()?.file_type().is_symlink() {
            continue;
        }
        for dir in rel.ancestors().skip(1).filter(|d| !d.as_os_str().is_empty()) {
            if !paths.iter().any(|(p, _)| p == dir) {
                paths.push((dir.to_path_buf(), true));
            }
        }
        paths.push((rel, false));
    }
    Ok(paths)
}

/// A new name that a dependency already has would make two packages of one name.
fn check_dependencies(root: &Path, new: &Names) -> Result<()> {
    let path = root.join("Cargo.lock");
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(());
    };
    let lock = Lock::parse(&text).with_context(|| format!("reading {}", path.display()))?;
    if let Some(dep) = lock.package.iter().find(|p| p.name.replace('-', "_") == new.rust) {
        bail!(
            "`{}` would collide with the dependency `{}`: pick another name",
            new.package,
            dep.name
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rename(text: &str, old: &str, new: &str) -> String {
        rewrite(text, &Names::new(old), &Names::new(new), false)
    }

    fn rename_rust(text: &str) -> String {
        rewrite(text, &Names::new("old_tool"), &Names::new("new-tool"), true)
    }

    #[test]
    fn in_rust_code_the_name_is_an_identifier_and_in_strings_and_comments_a_name() {
        let test = r##"/// Runs old_tool.
fn old_tool(args: &[&str]) -> Output {
    // old_tool, built by cargo
    Command::new(env!("CARGO_BIN_EXE_old_tool")).args(args).output().unwrap()
}
let quote = '"'; let s = r#"old_tool "x""#; let l: &'static str = "old_tool";
let o = old_tool(&["report"]); /* old_tool /* nested */ old_tool */ old_tool::run();
"##;
        let expected = r##"/// Runs new-tool.
fn new_tool(args: &[&str]) -> Output {
    // new-tool, built by cargo
    Command::new(env!("CARGO_BIN_EXE_new-tool")).args(args).output().unwrap()
}
let quote = '"'; let s = r#"new-tool "x""#; let l: &'static str = "new-tool";
let o = new_tool(&["report"]); /* new-tool /* nested */ new-tool */ new_tool::run();
"##;
        assert_eq!(rename_rust(test), expected);
    }

    #[test]
    fn rust_paths_get_the_library_name_and_everything_else_the_package_name() {
        let main = "fn main() {\n    let code = old_tool::run(std::env::args_os());\n}\n";
        assert_eq!(
            rename(main, "old_tool", "new-tool"),
            "fn main() {\n    let code = new_tool::run(std::env::args_os());\n}\n"
        );
        assert_eq!(
            rename("use old_tool;\nextern crate old_tool;\n", "old_tool", "new-tool"),
            "use new_tool;\nextern crate new_tool;\n"
        );
        let toml = "members = [\"old_tool\", \"xtask\"]\npackage = \"old_tool\"\n";
        assert_eq!(
            rename(toml, "old_tool", "new-tool"),
            "members = [\"new-tool\", \"xtask\"]\npackage = \"new-tool\"\n"
        );
        let test = r#"run(["old_tool", "--version"]); // cargo test -p old_tool"#;
        assert_eq!(
            rename(test, "old_tool", "new-tool"),
            r#"run(["new-tool", "--version"]); // cargo test -p new-tool"#
        );
    }

    #[test]
    fn paths_archives_and_binaries_get_the_package_name() {
        let script = "v=$(cat old_tool/Cargo.toml)\nold_tool-$1-v$v/old_tool --version\n";
        assert_eq!(
            rename(script, "old_tool", "new-tool"),
            "v=$(cat new-tool/Cargo.toml)\nnew-tool-$1-v$v/new-tool --version\n"
        );
        assert_eq!(
            rename("man/old_tool.1 completions/old_tool.bash", "old_tool", "new-tool"),
            "man/new-tool.1 completions/new-tool.bash"
        );
        assert_eq!(
            rename(r#"env!("CARGO_BIN_EXE_old_tool")"#, "old_tool", "new-tool"),
            r#"env!("CARGO_BIN_EXE_new-tool")"#
        );
    }

    #[test]
    fn debian_file_names_and_zsh_completions_glue_the_name_to_a_word() {
        assert_eq!(
            rename(
                "old-tool_1.0-1_amd64.deb old-tool_<version>-1_arm64.deb site-functions/_old_tool",
                "old_tool",
                "new_tool"
            ),
            "new-tool_1.0-1_amd64.deb new-tool_<version>-1_arm64.deb site-functions/_new_tool"
        );
        assert_eq!(rename("__old_tool x_old_tool", "old_tool", "new"), "__old_tool x_old_tool");
    }

    #[test]
    fn other_words_that_contain_the_name_are_left_alone() {
        let text = "old_tools xold_tool old_tool_x old_toolbox old_tool2 myold_tool";
        assert_eq!(rename(text, "old_tool", "new-tool"), text);
        assert_eq!(rename("the old_tool.", "old_tool", "new-tool"), "the new-tool.");
    }

    #[test]
    fn constants_and_environment_variables_get_the_screaming_name() {
        assert_eq!(
            rename(".TH OLD_TOOL 1\nOLD_TOOL_ROOT=/host", "old_tool", "new-tool"),
            ".TH NEW_TOOL 1\nNEW_TOOL_ROOT=/host"
        );
        assert_eq!(rename("OLD_TOOLS", "old_tool", "new-tool"), "OLD_TOOLS");
    }

    #[test]
    fn a_kebab_name_is_renamed_in_both_spellings() {
        let text = "fleet-probe-x86_64-unknown-linux-musl.tar.gz\nfleet_probe::run()\n";
        assert_eq!(
            rename(text, "fleet-probe", "rack_scan"),
            "rack_scan-x86_64-unknown-linux-musl.tar.gz\nrack_scan::run()\n"
        );
    }

    #[test]
    fn renaming_there_and_back_restores_the_text() {
        let text = "use old_tool::cli;\n# old_tool\n`old_tool-<target>-v<version>.tar.gz`\n";
        let there = rename(text, "old_tool", "new-tool");
        assert_eq!(rename(&there, "new-tool", "old_tool"), text);
    }

    #[test]
    fn invalid_names_are_refused_with_the_reason() {
        let refused = |name: &str| check_name(name, "old_tool").unwrap_err().to_string();
        assert!(refused("").contains("empty"));
        assert!(refused("old_tool").contains("already"));
        assert!(refused("My-Tool").contains("lowercase"));
        assert!(refused("1tool").contains("starting with a letter"));
        assert!(refused("my tool").contains("lowercase"));
        assert!(refused("my-tool-").contains("separator"));
        assert!(refused("fn").contains("keyword"));
        assert!(refused("test").contains("reserved"));
        assert!(refused("xtask").contains("reserved"));
        assert!(refused(&"a".repeat(65)).contains("64"));
        check_name("my-tool", "old_tool").unwrap();
        check_name("old-tool", "old_tool").unwrap();
    }

    #[test]
    fn a_name_that_a_dependency_has_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(
            tmp.path().join("Cargo.lock"),
            "version = 4\n\n[[package]]\nname = \"serde_json\"\nversion = \"1.0.0\"\n",
        )
        .unwrap();
        let err = Plan::new(tmp.path(), "old_tool", "serde-json").err().unwrap();
        assert!(err.to_string().contains("collide with the dependency `serde_json`"), "{err}");
    }

    #[test]
    fn a_workspace_is_renamed_in_files_and_paths_and_a_refusal_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write("Cargo.toml", "members = [\"old_tool\"]\n");
        write("old_tool/src/main.rs", "fn main() { old_tool::run() }\n");
        write("old_tool/man/old_tool.1", ".TH OLD_TOOL 1\n");
        write("old_tool/completions/_old_tool", "#compdef old_tool\n");
        write("target/CACHEDIR.TAG", "old_tool\n");
        write("README.md", "no name here\n");

        let before = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        write("new-tool", "in the way\n");
        let err = Plan::new(root, "old_tool", "new-tool").err().unwrap();
        assert!(err.to_string().contains("exists"), "{err}");
        assert_eq!(fs::read_to_string(root.join("Cargo.toml")).unwrap(), before);
        fs::remove_file(root.join("new-tool")).unwrap();

        let plan = Plan::new(root, "old_tool", "new-tool").unwrap();
        plan.apply(root).unwrap();
        let read = |rel: &str| fs::read_to_string(root.join(rel)).unwrap();
        assert_eq!(read("Cargo.toml"), "members = [\"new-tool\"]\n");
        assert_eq!(read("new-tool/src/main.rs"), "fn main() { new_tool::run() }\n");
        assert_eq!(read("new-tool/man/new-tool.1"), ".TH NEW_TOOL 1\n");
        assert_eq!(read("new-tool/completions/_new-tool"), "#compdef new-tool\n");
        assert_eq!(read("target/CACHEDIR.TAG"), "old_tool\n");
        assert!(!root.join("old_tool").exists());
    }
}
