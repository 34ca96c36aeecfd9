//! `cargo xtask codegen`: every generated file, rewritten from its source by one helper,
//! [`Codegen::ensure`]: the target sections from the release policy, TestArea's link list,
//! and what the shipped package generates (CLI assets, golden outputs). With `--check` (CI, and the tests) nothing is written and a file that
//! differs fails with its first differing line and the command that fixes it.

use anyhow::{Context, Result, ensure};
use xshell::{Shell, cmd};

use crate::config::arch::Arch;
use crate::config::policy::{Policy, TargetPolicy};
use crate::config::target::Libc;
use crate::flags;
use crate::host::machine;
use crate::template::codegen::{Codegen, stray_triples};
use crate::template::symlinks;
use crate::util::files;
use crate::verify;

/// The cross-rs release whose images `cargo xtask dist --builder cross` uses.
pub const CROSS_IMAGE_TAG: &str = "0.2.5";

impl flags::Codegen {
    pub fn run(self, sh: &Shell) -> Result<()> {
        let policy = Policy::read(sh)?;
        let mut codegen = Codegen::new(&sh.current_dir(), self.check);
        targets(&mut codegen, &policy)?;
        symlinks::codegen(&mut codegen)?;
        package_files(sh, &mut codegen, &policy)?;
        fuzz_record(&mut codegen)?;
        codegen.finish()?;
        let stray = stray_triples(&sh.current_dir())?;
        ensure!(
            stray.is_empty(),
            "these lines name targets, which only Cargo.toml and the generated parts may \
             (take them from `cargo xtask plan --json` instead):\n{}",
            stray.join("\n")
        );
        Ok(())
    }
}

/// What the shipped package generates from its own code: completions and man pages from the
/// CLI definition, its README's table from the report schema, TestArea's golden outputs. Its
/// `generate` example writes them; the package's tests check the same list.
fn package_files(sh: &Shell, codegen: &mut Codegen, policy: &Policy) -> Result<()> {
    let package = &policy.package.name;
    if !sh.path_exists(format!("{package}/examples/generate.rs")) {
        return Ok(());
    }
    let out = policy.target_dir.join("codegen");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    cmd!(sh, "cargo run --quiet --locked --package {package} --example generate -- {out}")
        .run()
        .with_context(|| format!("running {package}'s generate example"))?;
    for file in files::walk(&out, &|_| false)? {
        let rel = file.strip_prefix(&out).expect("walked from out");
        let rel = rel.to_str().with_context(|| format!("{} is not UTF-8", rel.display()))?;
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        codegen.ensure(rel, &bytes)?;
    }
    Ok(())
}

/// What the verifier says of every input of the fuzz corpus.
pub fn fuzz_record(codegen: &mut Codegen) -> Result<()> {
    let record = verify::corpus::record(codegen.root())?;
    codegen.ensure(verify::corpus::RECORD, record.as_bytes())
}

/// The files that name the targets: the toolchain's, `.cargo/config.toml`, `Cross.toml`, the
/// README table.
pub fn targets(codegen: &mut Codegen, policy: &Policy) -> Result<()> {
    codegen.ensure_region("rust-toolchain.toml", &toolchain_targets(policy))?;
    codegen.ensure_region(".cargo/config.toml", &cargo_config(policy))?;
    codegen.ensure_region("Cross.toml", &cross_toml(policy))?;
    codegen.ensure_region("README.md", &readme_table(policy))
}

/// rustup installs the standard library of every target with the toolchain.
fn toolchain_targets(policy: &Policy) -> String {
    let lines: String =
        policy.targets.iter().map(|tp| format!("  \"{}\",\n", tp.target.triple())).collect();
    format!("targets = [\n{lines}]\n")
}

fn cargo_config(policy: &Policy) -> String {
    let mut out = String::new();
    for tp in &policy.targets {
        let (linker, runner) = machine::default_linker_and_runner(&tp.target);
        out.push_str(&format!("\n[target.{}]\n", tp.target.triple()));
        match (linker, tp.target.libc) {
            (Some(linker), _) => out.push_str(&format!("linker = \"{linker}\"\n")),
            (None, Libc::Gnu) => out.push_str("# Native: the system linker.\n"),
            (None, Libc::Musl) => out.push_str(
                "# rustc's self-contained musl linking gives a static-pie binary; musl-gcc would\n\
                 # give one that needs /lib/ld-musl-*.so.1.\n",
            ),
        }
        out.extend(runner.map(|runner| format!("runner = \"{runner}\"\n")));
    }
    out
}

fn cross_toml(policy: &Policy) -> String {
    let image = |triple: String| {
        format!("\n[target.{triple}]\nimage = \"ghcr.io/cross-rs/{triple}:{CROSS_IMAGE_TAG}\"\n")
    };
    policy.targets.iter().map(|tp| image(tp.target.triple())).collect()
}

fn readme_table(policy: &Policy) -> String {
    let mut out = String::from(
        "| target | runs on | glibc floor | built with on x86_64 | verify requires |\n|---|---|---|---|---|\n",
    );
    for tp in &policy.targets {
        let floor = tp.floor_note().or(tp.glibc_floor.map(|f| f.to_string()));
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            tp.target.triple(),
            runs_on(tp),
            floor.unwrap_or_else(|| "none: static".into()),
            built_with(tp),
            requirements(tp),
        ));
    }
    out
}

fn runs_on(tp: &TargetPolicy) -> String {
    let arch = tp.target.arch;
    match (tp.target.libc, tp.glibc_floor) {
        (Libc::Musl, _) => format!("{}: any Linux, containers, minimal hosts", arch.machines),
        (Libc::Gnu, Some(floor)) => format!("{} with glibc {floor} or later", arch.machines),
        (Libc::Gnu, None) => format!("{} with the build machine's glibc", arch.machines),
    }
}

fn built_with(tp: &TargetPolicy) -> String {
    let t = &tp.target;
    let native = t.arch == Arch::build_host();
    match (t.libc, tp.glibc_floor, tp.builder) {
        (_, _, Some(builder)) => format!("`{builder}` (set in Cargo.toml)"),
        (Libc::Musl, _, None) if native => "`cargo build` (self-contained static-pie)".into(),
        (Libc::Musl, _, None) => "`cargo build`, linked by `rust-lld`".into(),
        (Libc::Gnu, Some(floor), None) => {
            format!("`cargo zigbuild --target {}.{floor}`", t.triple())
        }
        (Libc::Gnu, None, None) if native => "`cargo build`".into(),
        (Libc::Gnu, None, None) => format!("`cargo build` with `{}-gcc`", t.arch.gnu_triple),
    }
}

fn requirements(tp: &TargetPolicy) -> String {
    let arch = tp.target.arch;
    let mut parts = vec![arch.elf_description()];
    parts.extend(arch.e_flags.map(|(_, _, what)| what.to_string()));
    match tp.target.libc {
        Libc::Musl => parts.push("no interpreter, no shared libraries".into()),
        Libc::Gnu => {
            parts.push(format!("loader `{}`", arch.glibc_loader));
            parts.extend(tp.glibc_floor.map(|floor| format!("no symbol above `GLIBC_{floor}`")));
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    #[test]
    fn the_files_generated_from_the_policy_are_current() {
        let sh = Shell::new().unwrap();
        sh.change_dir(root());
        let policy = Policy::read(&sh).unwrap();
        let mut codegen = Codegen::new(root(), true);
        targets(&mut codegen, &policy).unwrap();
        symlinks::codegen(&mut codegen).unwrap();
        fuzz_record(&mut codegen).unwrap();
        codegen.finish().unwrap();
    }
}
