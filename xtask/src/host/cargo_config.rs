//! Cargo's configuration as cargo resolves it, for the two keys dist depends on: a target's
//! `linker` and `runner`, read with cargo-config2 (every `.cargo/config.toml` from the working
//! directory up, `$CARGO_HOME/config.toml`, the `CARGO_TARGET_<TRIPLE>_*` variables,
//! `[target.'cfg(..)']` tables). Here in host/ because a cfg table makes the crate run
//! `rustc --print cfg`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cargo_config2::de::{self, Definition};
use cargo_config2::{Config, ResolveOptions};

use crate::config::target::Target;

pub struct CargoConfig {
    /// Resolves a target's values.
    resolved: Config,
    /// The same files unresolved: each value with the file that set it.
    files: de::Config,
    /// The variables resolution read (cargo's and rustc's own).
    env: HashMap<String, OsString>,
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
    /// Reads the files cargo reads when run in `cwd`, and this process's environment.
    pub fn load(cwd: &Path) -> Result<CargoConfig> {
        // As the crate reads it: names in Unicode (values need not be), cargo's and rustc's.
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
            .filter(|(k, _)| k.starts_with("CARGO") || k.starts_with("RUST"));
        let home = cargo_config2::cargo_home_with_cwd(cwd);
        CargoConfig::load_with(cwd, home, env.collect(), ResolveOptions::default())
    }

    /// [`CargoConfig::load`] with cargo's home, the environment and the resolve options given.
    fn load_with(
        cwd: &Path,
        home: Option<PathBuf>,
        env: HashMap<String, OsString>,
        options: ResolveOptions,
    ) -> Result<CargoConfig> {
        let options = options.cargo_home(home.clone()).env(env.clone());
        let resolved =
            Config::load_with_options(cwd, options).context("reading cargo's configuration")?;
        let files =
            de::Config::load_with_options(cwd, home).context("reading cargo's configuration")?;
        Ok(CargoConfig { resolved, files, env })
    }

    /// `linker` and `runner` for `target`, with where each was set.
    pub fn target(&self, target: &Target) -> Result<TargetSettings> {
        let triple = target.triple();
        let resolved = self
            .resolved
            .target(triple.as_str())
            .with_context(|| format!("resolving cargo's configuration for {triple}"))?;
        let linker = resolved.linker.map(|path| {
            self.setting(target, "LINKER", path.display().to_string(), |t| {
                let linker = t.linker.as_ref()?;
                path.ends_with(&linker.val).then_some(linker.definition.as_ref()?)
            })
        });
        let runner = resolved.runner.map(|runner| {
            let program = runner.path.display().to_string();
            let args = runner.args.iter().map(|a| a.to_string_lossy().into_owned());
            let value = std::iter::once(program).chain(args).collect();
            self.setting(target, "RUNNER", value, |t| {
                let set = t.runner.as_ref()?;
                let args = set.args.iter().map(|a| a.val.as_str());
                (runner.path.ends_with(set.path.raw_value()) && runner.args.iter().eq(args))
                    .then_some(set.path.value().definition.as_ref()?)
            })
        });
        Ok(TargetSettings { linker, runner })
    }

    /// `value`, the one cargo resolved for `key`, with where it was set: the variable, else the
    /// triple's own table, else a `[target.'cfg(..)']` table holding that value (`set_here`
    /// gives a table's definition of the key when its value is the resolved one).
    fn setting<'a, T>(
        &'a self,
        target: &Target,
        key: &str,
        value: T,
        set_here: impl Fn(&'a de::TargetConfig) -> Option<&'a Definition>,
    ) -> Setting<T> {
        let var = format!("CARGO_TARGET_{}_{key}", target.env_key());
        if self.env.contains_key(&var) {
            return Setting { value, source: var, from_env: true };
        }
        let tables = &self.files.target;
        let triple = tables.get(&target.triple()).into_iter();
        let cfg = tables.iter().filter(|(k, _)| k.starts_with("cfg("));
        let source = (triple.chain(cfg.map(|(_, t)| t)).find_map(set_here))
            .map_or("the cargo configuration".into(), |definition| definition.to_string());
        Setting { value, source, from_env: false }
    }
}

#[cfg(test)]
mod tests {
    use cargo_config2::PathAndArgs;

    use super::*;

    fn aarch64() -> Target {
        Target::parse("aarch64-unknown-linux-gnu").unwrap()
    }

    fn write(dir: &Path, text: &str) {
        std::fs::create_dir_all(dir.join(".cargo")).unwrap();
        std::fs::write(dir.join(".cargo/config.toml"), text).unwrap();
    }

    /// Loads with `home` as cargo's home and `env` as the whole environment, so the user's
    /// own files and variables stay out of the tests. `rustc` does not exist: a test without
    /// a cfg table must not need `rustc --print cfg`.
    fn load_env(cwd: &Path, home: &Path, env: &[(&str, &str)]) -> CargoConfig {
        let rustc = PathAndArgs::new("/nonexistent/rustc-is-not-needed");
        load_rustc(cwd, home, env, rustc)
    }

    fn load(cwd: &Path, home: &Path) -> CargoConfig {
        load_env(cwd, home, &[])
    }

    fn load_rustc(
        cwd: &Path,
        home: &Path,
        env: &[(&str, &str)],
        rustc: PathAndArgs,
    ) -> CargoConfig {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.into()));
        let options = ResolveOptions::default().rustc(rustc);
        CargoConfig::load_with(cwd, Some(home.to_path_buf()), env.collect(), options).unwrap()
    }

    /// A `rustc` whose `--print cfg` gives `cfg`'s lines, whatever the target.
    fn fake_rustc(dir: &Path, cfg: &[&str]) -> PathAndArgs {
        let file = dir.join("cfg.txt");
        std::fs::write(&file, cfg.join("\n")).unwrap();
        // `sh -c SCRIPT FILE --print cfg --target ..`: the script sees FILE as $0.
        let mut rustc = PathAndArgs::new("sh");
        rustc.args(["-c".into(), "cat \"$0\"".into(), file.into_os_string()]);
        rustc
    }

    #[test]
    fn single_quoted_and_multi_line_values_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "[target.aarch64-unknown-linux-gnu]\nlinker = 'aarch64-linux-gnu-gcc'\nrunner = [\n  \"qemu-aarch64-static\",\n  '-L',\n  \"/usr/aarch64-linux-gnu\",\n]\n",
        );
        let home = tempfile::tempdir().unwrap();
        let settings = load(tmp.path(), home.path()).target(&aarch64()).unwrap();
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
        write(tmp.path(), "[target.aarch64-unknown-linux-gnu]\nlinker = \"outer-gcc\"\n");
        write(&inner, "[target.aarch64-unknown-linux-gnu]\nlinker = \"inner-gcc\"\n");
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            "[target.aarch64-unknown-linux-gnu]\nrunner = \"qemu-aarch64 -L /sysroot\"\n",
        )
        .unwrap();
        let settings = load(&inner, home.path()).target(&aarch64()).unwrap();
        let linker = settings.linker.unwrap();
        assert_eq!(linker.value, "inner-gcc");
        assert!(linker.source.starts_with(&inner.display().to_string()), "{linker:?}");
        let runner = settings.runner.unwrap();
        assert_eq!(runner.value, ["qemu-aarch64", "-L", "/sysroot"]);
        assert!(runner.source.starts_with(&home.path().display().to_string()));
    }

    /// Cargo joins most arrays across files, but not a program with its arguments:
    /// `target.*.runner` is among its non-mergeable lists, so the deeper file's runner
    /// replaces the others whole (checked with cargo 1.95: it runs `-L /x <binary>` here).
    #[test]
    fn a_deeper_runner_array_replaces_the_others_like_cargo_does() {
        let tmp = tempfile::tempdir().unwrap();
        let inner = tmp.path().join("project");
        write(tmp.path(), "[target.aarch64-unknown-linux-gnu]\nrunner = [\"qemu-aarch64\"]\n");
        write(&inner, "[target.aarch64-unknown-linux-gnu]\nrunner = [\"-L\", \"/x\"]\n");
        let home = tempfile::tempdir().unwrap();
        let runner = load(&inner, home.path()).target(&aarch64()).unwrap().runner.unwrap();
        assert_eq!(runner.value, ["-L", "/x"]);
        assert!(runner.source.starts_with(&inner.display().to_string()));
    }

    #[test]
    fn cfg_tables_apply_when_the_triple_has_no_value() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "[target.'cfg(all(target_arch = \"aarch64\", target_os = \"linux\"))']\nrunner = \"qemu-aarch64-static\"\nlinker = \"cfg-gcc\"\n\n[target.'cfg(not(unix))']\nrunner = \"wine\"\n\n[target.aarch64-unknown-linux-gnu]\nlinker = \"triple-gcc\"\n",
        );
        let home = tempfile::tempdir().unwrap();
        let cfg = ["target_arch=\"aarch64\"", "target_os=\"linux\"", "unix"];
        let rustc = fake_rustc(home.path(), &cfg);
        let settings = load_rustc(tmp.path(), home.path(), &[], rustc).target(&aarch64()).unwrap();
        assert_eq!(settings.linker.unwrap().value, "triple-gcc");
        let runner = settings.runner.unwrap();
        assert_eq!(runner.value, ["qemu-aarch64-static"]);
        assert!(runner.source.starts_with(&tmp.path().display().to_string()));
    }

    #[test]
    fn relative_linker_paths_are_relative_to_the_directory_holding_dot_cargo() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "[target.aarch64-unknown-linux-gnu]\nlinker = \"tools/gcc\"\n");
        let home = tempfile::tempdir().unwrap();
        let linker = load(tmp.path(), home.path()).target(&aarch64()).unwrap().linker.unwrap();
        assert_eq!(linker.value, tmp.path().join("tools/gcc").display().to_string());
        assert!(linker.source.starts_with(&tmp.path().display().to_string()));
    }

    #[test]
    fn environment_variables_override_every_file() {
        let target = Target::parse("s390x-unknown-linux-gnu").unwrap();
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "[target.s390x-unknown-linux-gnu]\nlinker = \"file-gcc\"\nrunner = [\"a\"]\n",
        );
        let env = [
            ("CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_LINKER", "env-gcc"),
            ("CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_RUNNER", "qemu-s390x -L /s"),
        ];
        let home = tempfile::tempdir().unwrap();
        let settings = load_env(tmp.path(), home.path(), &env).target(&target).unwrap();
        let linker = settings.linker.unwrap();
        assert_eq!((linker.value.as_str(), linker.from_env), ("env-gcc", true));
        assert_eq!(linker.source, "CARGO_TARGET_S390X_UNKNOWN_LINUX_GNU_LINKER");
        assert_eq!(settings.runner.unwrap().value, ["qemu-s390x", "-L", "/s"]);
    }

    #[test]
    fn the_shipped_config_gives_aarch64_its_linker_and_qemu() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let home = tempfile::tempdir().unwrap();
        let settings = load(root, home.path()).target(&aarch64()).unwrap();
        assert_eq!(settings.linker.unwrap().value, "aarch64-linux-gnu-gcc");
        assert_eq!(
            settings.runner.unwrap().value,
            ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]
        );
    }

    #[test]
    fn cfg_expressions_follow_rust_syntax() {
        let home = tempfile::tempdir().unwrap();
        let cfg = ["unix", "target_arch=\"x86_64\"", "target_env=\"gnu\""];
        let rustc = fake_rustc(home.path(), &cfg);
        // Whether a table under `expr` applies to a target, or an error.
        let eval = |expr: &str| -> Result<bool> {
            let tmp = tempfile::tempdir().unwrap();
            write(tmp.path(), &format!("[target.'{expr}']\nlinker = \"x\"\n"));
            let config = load_rustc(tmp.path(), home.path(), &[], rustc.clone());
            Ok(config.target(&aarch64())?.linker.is_some())
        };
        assert!(eval("cfg(unix)").unwrap());
        assert!(!eval("cfg(windows)").unwrap());
        assert!(eval("cfg(target_arch = \"x86_64\")").unwrap());
        assert!(eval("cfg(all(unix, any(target_env = \"musl\", target_env = \"gnu\")))").unwrap());
        assert!(!eval("cfg(not(all(unix, target_arch = \"x86_64\")))").unwrap());
        assert!(eval("cfg(all())").unwrap());
        assert!(eval("cfg(all(unix").is_err());
        assert!(eval("cfg(frob(unix))").is_err());
    }
}
