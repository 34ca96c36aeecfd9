//! Cargo's configuration as cargo sees it, for the two keys dist depends on: a target's `linker`
//! and `runner`. Every `.cargo/config.toml` from the working directory up, then
//! `$CARGO_HOME/config.toml`, then the `CARGO_TARGET_<TRIPLE>_*` variables; `[target.<triple>]`
//! before matching `[target.'cfg(..)']` tables (cargo's `config.md`, "Hierarchical structure").

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use toml::{Table, Value};

use crate::config::target::Target;

/// The configuration files that apply, lowest precedence first.
pub struct CargoConfig {
    files: Vec<ConfigFile>,
}

struct ConfigFile {
    path: PathBuf,
    table: Table,
}

/// A value and where it was set, for messages that point at the right place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    /// A config file's path, or the environment variable's name.
    pub source: String,
    pub from_env: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetSettings {
    pub linker: Option<Setting<String>>,
    /// The program and its arguments.
    pub runner: Option<Setting<Vec<String>>>,
}

impl CargoConfig {
    /// Reads the files cargo reads when run in `cwd`.
    pub fn load(cwd: &Path) -> Result<CargoConfig> {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
        CargoConfig::load_with_home(cwd, home)
    }

    /// [`CargoConfig::load`] with cargo's home directory given.
    fn load_with_home(cwd: &Path, home: Option<PathBuf>) -> Result<CargoConfig> {
        let mut dirs: Vec<PathBuf> = cwd.ancestors().map(|d| d.join(".cargo")).collect();
        if let Some(home) = home.filter(|h| !dirs.contains(h)) {
            dirs.push(home);
        }
        let mut files = Vec::new();
        // Deepest first in `ancestors`; the home directory last: reversed, lowest first.
        for dir in dirs.iter().rev() {
            // Without the extension is the older name, and cargo prefers it when both exist.
            let Some(path) = ["config", "config.toml"]
                .iter()
                .map(|name| dir.join(name))
                .find(|p| p.is_file())
            else {
                continue;
            };
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let table: Table = toml::from_str(&text)
                .with_context(|| format!("{} is not valid TOML", path.display()))?;
            files.push(ConfigFile { path, table });
        }
        Ok(CargoConfig { files })
    }

    /// `linker` and `runner` for `target`. `cfg` gives `rustc --print cfg --target <triple>`
    /// and is only asked when a `[target.'cfg(..)']` table exists.
    pub fn target(
        &self,
        target: &Target,
        cfg: impl FnOnce() -> Result<Vec<String>>,
    ) -> Result<TargetSettings> {
        let triple = target.triple();
        let mut settings = TargetSettings {
            linker: self.merged(&[triple.as_str()], "linker")?,
            runner: self.merged(&[triple.as_str()], "runner")?,
        };
        if settings.linker.is_none() || settings.runner.is_none() {
            self.apply_cfg_tables(&mut settings, cfg)?;
        }
        let key = target.env_key();
        let var = format!("CARGO_TARGET_{key}_LINKER");
        if let Ok(linker) = std::env::var(&var) {
            settings.linker = Some(env_setting(var, linker));
        }
        let var = format!("CARGO_TARGET_{key}_RUNNER");
        if let Ok(runner) = std::env::var(&var) {
            let words = runner.split_whitespace().map(String::from).collect();
            settings.runner = Some(env_setting(var, words));
        }
        Ok(settings)
    }

    /// A `[target.'cfg(..)']` value is used when the triple's own table has none; two
    /// matching tables with the same key are an error in cargo too.
    fn apply_cfg_tables(
        &self,
        settings: &mut TargetSettings,
        cfg: impl FnOnce() -> Result<Vec<String>>,
    ) -> Result<()> {
        let keys: Vec<&str> = self
            .files
            .iter()
            .filter_map(|f| f.table.get("target")?.as_table())
            .flat_map(|t| t.keys())
            .map(String::as_str)
            .filter(|k| k.starts_with("cfg("))
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        let cfg = cfg()?;
        let mut matching = Vec::new();
        for key in keys {
            if !matching.contains(&key) && cfg_matches(key, &cfg)? {
                matching.push(key);
            }
        }
        if settings.linker.is_none() {
            settings.linker = self.one_of(&matching, "linker")?;
        }
        if settings.runner.is_none() {
            settings.runner = self.one_of(&matching, "runner")?;
        }
        Ok(())
    }

    fn one_of<T: FromConfig>(&self, tables: &[&str], key: &str) -> Result<Option<Setting<T>>> {
        let mut found = None;
        for table in tables {
            if let Some(setting) = self.merged::<T>(&[table], key)? {
                if found.is_some() {
                    bail!(
                        "several [target.'cfg(..)'] tables set `{key}` for this target; cargo \
                         refuses that too: keep one, or set it under [target.<triple>]"
                    );
                }
                found = Some(setting);
            }
        }
        Ok(found)
    }

    /// `target.<table>.<key>` merged across the files: strings from the deepest file, arrays
    /// joined with the deeper file's items last, as cargo merges them.
    fn merged<T: FromConfig>(&self, table: &[&str], key: &str) -> Result<Option<Setting<T>>> {
        let mut merged: Option<Setting<T>> = None;
        for file in &self.files {
            let Some(value) = file
                .table
                .get("target")
                .and_then(|t| t.get(table[0]))
                .and_then(|t| t.get(key))
            else {
                continue;
            };
            let value = T::from_config(value, &file.path).with_context(|| {
                format!(
                    "{}: `target.{}.{key}` must be {}",
                    file.path.display(),
                    table[0],
                    T::EXPECTED
                )
            })?;
            merged = Some(match merged {
                Some(lower) if T::JOINS => Setting {
                    value: T::join(lower.value, value),
                    source: format!("{} and {}", lower.source, file.path.display()),
                    from_env: false,
                },
                _ => Setting {
                    value,
                    source: file.path.display().to_string(),
                    from_env: false,
                },
            });
        }
        Ok(merged)
    }
}

fn env_setting<T>(var: String, value: T) -> Setting<T> {
    Setting {
        value,
        source: var,
        from_env: true,
    }
}

trait FromConfig: Sized {
    const EXPECTED: &'static str;
    const JOINS: bool;
    fn from_config(value: &Value, file: &Path) -> Option<Self>;
    fn join(lower: Self, higher: Self) -> Self;
}

impl FromConfig for String {
    const EXPECTED: &'static str = "a string";
    const JOINS: bool = false;
    fn from_config(value: &Value, file: &Path) -> Option<String> {
        Some(relative_program(value.as_str()?, file))
    }
    fn join(_: String, higher: String) -> String {
        higher
    }
}

impl FromConfig for Vec<String> {
    const EXPECTED: &'static str = "a string or an array of strings";
    const JOINS: bool = true;
    fn from_config(value: &Value, file: &Path) -> Option<Vec<String>> {
        let mut words: Vec<String> = match value {
            Value::String(s) => s.split_whitespace().map(String::from).collect(),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(String::from))
                .collect::<Option<_>>()?,
            _ => return None,
        };
        if let Some(program) = words.first_mut() {
            *program = relative_program(program, file);
        }
        Some(words)
    }
    fn join(mut lower: Vec<String>, higher: Vec<String>) -> Vec<String> {
        lower.extend(higher);
        lower
    }
}

/// A program path with a slash but not absolute is relative to the directory holding
/// `.cargo/`; a bare name is looked up on PATH.
fn relative_program(program: &str, file: &Path) -> String {
    if !program.contains('/') || program.starts_with('/') {
        return program.to_string();
    }
    let base = file
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    base.join(program).display().to_string()
}

/// Evaluates `cfg(..)` (`all`, `any`, `not`, `name`, `name = "value"`) against the lines of
/// `rustc --print cfg`.
pub fn cfg_matches(key: &str, cfg: &[String]) -> Result<bool> {
    let inner = key
        .strip_prefix("cfg(")
        .and_then(|k| k.strip_suffix(')'))
        .with_context(|| format!("`{key}` is not a cfg(..) expression"))?;
    let mut parser = CfgParser {
        text: inner,
        pos: 0,
    };
    let value = parser
        .expr(cfg)
        .and_then(|v| {
            parser.skip_space();
            (parser.pos == parser.text.len()).then_some(v)
        })
        .with_context(|| format!("cannot read the cfg expression `{key}` in a cargo config"))?;
    Ok(value)
}

struct CfgParser<'a> {
    text: &'a str,
    pos: usize,
}

impl CfgParser<'_> {
    fn skip_space(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: char) -> bool {
        self.skip_space();
        if self.text[self.pos..].starts_with(token) {
            self.pos += token.len_utf8();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<&str> {
        self.skip_space();
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        (len > 0).then(|| &rest[..len])
    }

    fn expr(&mut self, cfg: &[String]) -> Option<bool> {
        let name = self.ident()?.to_string();
        if self.eat('(') {
            let mut values = Vec::new();
            while !self.eat(')') {
                values.push(self.expr(cfg)?);
                if !self.eat(',') && !self.eat(')') {
                    return None;
                } else if self.text[..self.pos].ends_with(')') {
                    break;
                }
            }
            return match name.as_str() {
                "all" => Some(values.iter().all(|v| *v)),
                "any" => Some(values.iter().any(|v| *v)),
                "not" if values.len() == 1 => Some(!values[0]),
                _ => None,
            };
        }
        if self.eat('=') {
            self.skip_space();
            let rest = self.text[self.pos..].strip_prefix('"')?;
            let end = rest.find('"')?;
            let value = &rest[..end];
            self.pos += end + 2;
            return Some(cfg.contains(&format!("{name}=\"{value}\"")));
        }
        Some(cfg.contains(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aarch64() -> Target {
        Target::parse("aarch64-unknown-linux-gnu").unwrap()
    }

    fn write(dir: &Path, text: &str) {
        std::fs::create_dir_all(dir.join(".cargo")).unwrap();
        std::fs::write(dir.join(".cargo/config.toml"), text).unwrap();
    }

    fn no_cfg() -> Result<Vec<String>> {
        panic!("no cfg table, so rustc --print cfg is not needed")
    }

    /// Loads with `home` as cargo's home, so the user's own files stay out of the tests.
    fn load(cwd: &Path, home: &Path) -> CargoConfig {
        CargoConfig::load_with_home(cwd, Some(home.to_path_buf())).unwrap()
    }

    #[test]
    fn single_quoted_and_multi_line_values_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "[target.aarch64-unknown-linux-gnu]\nlinker = 'aarch64-linux-gnu-gcc'\nrunner = [\n  \"qemu-aarch64-static\",\n  '-L',\n  \"/usr/aarch64-linux-gnu\",\n]\n",
        );
        let home = tempfile::tempdir().unwrap();
        let settings = load(tmp.path(), home.path())
            .target(&aarch64(), no_cfg)
            .unwrap();
        assert_eq!(settings.linker.unwrap().value, "aarch64-linux-gnu-gcc");
        assert_eq!(
            settings.runner.unwrap().value,
            ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]
        );
    }

    #[test]
    fn a_deeper_directory_wins_and_the_home_file_is_the_fallback() {
        let tmp = tempfile::tempdir().unwrap();
        let inner = tmp.path().join("project");
        write(
            tmp.path(),
            "[target.aarch64-unknown-linux-gnu]\nlinker = \"outer-gcc\"\n",
        );
        write(
            &inner,
            "[target.aarch64-unknown-linux-gnu]\nlinker = \"inner-gcc\"\n",
        );
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            "[target.aarch64-unknown-linux-gnu]\nrunner = \"qemu-aarch64 -L /sysroot\"\n",
        )
        .unwrap();
        let settings = load(&inner, home.path())
            .target(&aarch64(), no_cfg)
            .unwrap();
        let linker = settings.linker.unwrap();
        assert_eq!(linker.value, "inner-gcc");
        assert!(
            linker.source.starts_with(&inner.display().to_string()),
            "{linker:?}"
        );
        let runner = settings.runner.unwrap();
        assert_eq!(runner.value, ["qemu-aarch64", "-L", "/sysroot"]);
        assert!(
            runner
                .source
                .starts_with(&home.path().display().to_string())
        );
    }

    #[test]
    fn runner_arrays_from_several_files_are_joined_like_cargo_does() {
        let tmp = tempfile::tempdir().unwrap();
        let inner = tmp.path().join("project");
        write(
            tmp.path(),
            "[target.aarch64-unknown-linux-gnu]\nrunner = [\"qemu-aarch64\"]\n",
        );
        write(
            &inner,
            "[target.aarch64-unknown-linux-gnu]\nrunner = [\"-L\", \"/x\"]\n",
        );
        let home = tempfile::tempdir().unwrap();
        let settings = load(&inner, home.path())
            .target(&aarch64(), no_cfg)
            .unwrap();
        assert_eq!(settings.runner.unwrap().value, ["qemu-aarch64", "-L", "/x"]);
    }

    #[test]
    fn cfg_tables_apply_when_the_triple_has_no_value() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "[target.'cfg(all(target_arch = \"aarch64\", target_os = \"linux\"))']\nrunner = \"qemu-aarch64-static\"\nlinker = \"cfg-gcc\"\n\n[target.'cfg(not(unix))']\nrunner = \"wine\"\n\n[target.aarch64-unknown-linux-gnu]\nlinker = \"triple-gcc\"\n",
        );
        let home = tempfile::tempdir().unwrap();
        let cfg = || {
            Ok(["target_arch=\"aarch64\"", "target_os=\"linux\"", "unix"]
                .map(String::from)
                .to_vec())
        };
        let settings = load(tmp.path(), home.path())
            .target(&aarch64(), cfg)
            .unwrap();
        assert_eq!(settings.linker.unwrap().value, "triple-gcc");
        assert_eq!(settings.runner.unwrap().value, ["qemu-aarch64-static"]);
    }

    #[test]
    fn relative_linker_paths_are_relative_to_the_directory_holding_dot_cargo() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "[target.aarch64-unknown-linux-gnu]\nlinker = \"tools/gcc\"\n",
        );
        let home = tempfile::tempdir().unwrap();
        let settings = load(tmp.path(), home.path())
            .target(&aarch64(), no_cfg)
            .unwrap();
        assert_eq!(
            settings.linker.unwrap().value,
            tmp.path().join("tools/gcc").display().to_string()
        );
    }

    #[test]
    fn environment_variables_override_every_file() {
        // A triple no other test uses, so setting its variables cannot disturb them.
        let target = Target::parse("s390x-unknown-linux-gnu").unwrap();
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "[target.s390x-unknown-linux-gnu]\nlinker = \"file-gcc\"\nrunner = [\"a\"]\n",
        );
        // SAFETY: no other test reads these two variables.
        unsafe {
            std::env::set_var("CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_LINKER", "env-gcc");
            std::env::set_var(
                "CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_RUNNER",
                "qemu-s390x -L /s",
            );
        }
        let home = tempfile::tempdir().unwrap();
        let settings = load(tmp.path(), home.path())
            .target(&target, no_cfg)
            .unwrap();
        let linker = settings.linker.unwrap();
        assert_eq!((linker.value.as_str(), linker.from_env), ("env-gcc", true));
        assert_eq!(linker.source, "CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_LINKER");
        assert_eq!(settings.runner.unwrap().value, ["qemu-s390x", "-L", "/s"]);
    }

    #[test]
    fn the_shipped_config_gives_aarch64_its_linker_and_qemu() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let home = tempfile::tempdir().unwrap();
        let settings = load(root, home.path()).target(&aarch64(), no_cfg).unwrap();
        assert_eq!(settings.linker.unwrap().value, "aarch64-linux-gnu-gcc");
        assert_eq!(
            settings.runner.unwrap().value,
            ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]
        );
    }

    #[test]
    fn cfg_expressions_follow_rust_syntax() {
        let cfg: Vec<String> = ["unix", "target_arch=\"x86_64\"", "target_env=\"gnu\""]
            .map(String::from)
            .to_vec();
        let eval = |e: &str| cfg_matches(e, &cfg).unwrap();
        assert!(eval("cfg(unix)"));
        assert!(!eval("cfg(windows)"));
        assert!(eval("cfg(target_arch = \"x86_64\")"));
        assert!(eval(
            "cfg(all(unix, any(target_env = \"musl\", target_env = \"gnu\")))"
        ));
        assert!(!eval("cfg(not(all(unix, target_arch = \"x86_64\")))"));
        assert!(eval("cfg(all())"));
        assert!(cfg_matches("cfg(all(unix", &cfg).is_err());
        assert!(cfg_matches("cfg(frob(unix))", &cfg).is_err());
    }
}
