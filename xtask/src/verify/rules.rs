//! The release policy of a target, as rules over [`BinaryFacts`]: each finding says what was
//! found, what the target expects (from the architecture table), and the fix.

use std::fmt;

use super::facts::{BinaryFacts, FileType};
use crate::config::glibc::GlibcVersion;
use crate::config::target::{Libc, Target};

/// Shared libraries every glibc-based Linux host has: glibc's own libraries and libgcc's
/// unwinder, besides the target's loader. Anything else may be missing on a user's machine.
pub const ALLOWED_GNU_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
];

/// One way a binary breaks the release policy of its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub found: String,
    pub expected: String,
    pub fix: String,
}

impl Violation {
    fn new(found: impl Into<String>, expected: impl Into<String>, fix: impl Into<String>) -> Self {
        Violation { found: found.into(), expected: expected.into(), fix: fix.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Violation { found, expected, fix } = self;
        write!(f, "  found:    {found}\n  expected: {expected}\n  fix:      {fix}")
    }
}

/// Judges the facts against the release policy of `target`. A gnu binary may require no
/// glibc above `glibc_floor` (no limit when `None`).
pub fn check(
    facts: &BinaryFacts,
    target: &Target,
    glibc_floor: Option<GlibcVersion>,
) -> Vec<Violation> {
    // Every other rule is about this target's binaries; judging a foreign file by them would
    // only bury the one finding that matters.
    if let Some(foreign) = architecture(facts, target) {
        return vec![foreign];
    }
    let mut out = Vec::new();
    out.extend(file_type(facts));
    match target.libc {
        Libc::Musl => out.extend(musl_linkage(facts, target)),
        Libc::Gnu => {
            out.extend(gnu_loader(facts, target));
            out.extend(gnu_libraries(facts, target));
            if let Some(floor) = glibc_floor {
                out.extend(glibc_versions(facts, target, floor));
            }
        }
    }
    out.extend(stripped(facts));
    out.extend(search_paths(facts));
    out.extend(stack(facts));
    out
}

/// Class, byte order, `e_machine` and the ABI bits of `e_flags`, all from the target's entry in
/// the architecture table.
fn architecture(facts: &BinaryFacts, target: &Target) -> Option<Violation> {
    let (arch, triple) = (target.arch, target.triple());
    if facts.class != arch.class
        || facts.little_endian != arch.little_endian
        || facts.machine != arch.e_machine
    {
        return Some(Violation::new(
            facts.architecture(),
            format!(
                "{} (e_machine {}), as {triple} requires",
                arch.elf_description(),
                arch.e_machine
            ),
            format!(
                "this file was built for another target: build it with `cargo xtask dist --target {triple}`"
            ),
        ));
    }
    let (mask, value, what) = arch.e_flags?;
    (facts.e_flags & mask != value).then(|| {
        Violation::new(
            format!("e_flags {:#010x}", facts.e_flags),
            format!("{what} (e_flags & {mask:#x} == {value:#x}), as {triple} requires"),
            format!(
                "this file was built for another ABI of {}: build it with `cargo xtask dist --target {triple}`",
                arch.rust
            ),
        )
    })
}

fn file_type(facts: &BinaryFacts) -> Option<Violation> {
    let runs = matches!(facts.file_type, FileType::Executable | FileType::StaticPie);
    (!runs).then(|| {
        Violation::new(
            format!("a {} ({})", facts.file_type.name(), facts.file_type.explanation()),
            "an executable",
            "ship the `[[bin]]` target's output from target/<triple>/release/, not a library or object file",
        )
    })
}

/// A musl binary is static: no loader to find, no library to load.
fn musl_linkage(facts: &BinaryFacts, target: &Target) -> Vec<Violation> {
    let fix = format!(
        "do not set `linker = \"musl-gcc\"` for {} in .cargo/config.toml: rustc's \
         default self-contained musl linking gives a static-pie binary",
        target.triple()
    );
    let interpreter = facts.interpreter.as_ref().map(|interp| {
        Violation::new(
            format!("interpreter {interp}: the binary needs a dynamic loader"),
            "no interpreter: a static or static-pie binary that runs on any Linux",
            fix.clone(),
        )
    });
    let needed = (!facts.needed.is_empty()).then(|| {
        Violation::new(
            format!("needed shared libraries: {}", facts.needed.join(", ")),
            "no DT_NEEDED entries: a static or static-pie binary",
            fix.clone(),
        )
    });
    interpreter.into_iter().chain(needed).collect()
}

/// A gnu executable names exactly its architecture's glibc loader.
fn gnu_loader(facts: &BinaryFacts, target: &Target) -> Option<Violation> {
    let (loader, triple) = (target.arch.glibc_loader, target.triple());
    let expected = format!("interpreter {loader}, the glibc loader of {triple}");
    match facts.interpreter.as_deref() {
        Some(interp) if interp == loader => None,
        Some(interp) => Some(Violation::new(
            format!("interpreter {interp}"),
            expected,
            format!(
                "link with the target's glibc toolchain (the `linker` for {triple} in \
                 .cargo/config.toml) or build with `cargo xtask dist --builder zigbuild`"
            ),
        )),
        None => Some(Violation::new(
            "no interpreter: a statically linked binary",
            expected,
            "drop `-C target-feature=+crt-static` for gnu targets: glibc is linked \
             dynamically, and the musl target is the static build",
        )),
    }
}

fn gnu_libraries(facts: &BinaryFacts, target: &Target) -> Option<Violation> {
    let loader = target.arch.glibc_loader_name();
    let foreign: Vec<&str> = facts
        .needed
        .iter()
        .map(String::as_str)
        .filter(|lib| !ALLOWED_GNU_LIBRARIES.contains(lib) && *lib != loader)
        .collect();
    (!foreign.is_empty()).then(|| {
        Violation::new(
            format!("needed shared libraries not on every glibc host: {}", foreign.join(", ")),
            format!("only {} and {loader}", ALLOWED_GNU_LIBRARIES.join(", ")),
            "remove the dependency or link it statically (many -sys crates have a \
             `vendored` or `static` feature), or ship the musl target",
        )
    })
}

/// No numbered glibc version above the floor, and none of the unnumbered ones at all.
fn glibc_versions(facts: &BinaryFacts, target: &Target, floor: GlibcVersion) -> Vec<Violation> {
    let zig = format!(
        "build with `cargo zigbuild --target {}.{floor}` (`cargo xtask dist \
         --builder zigbuild`), or raise `glibc-floor` in `[workspace.metadata.release]` \
         in Cargo.toml",
        target.triple()
    );
    let mut out = Vec::new();
    if let Some(max) = facts.glibc_max.filter(|max| *max > floor) {
        let libs = facts.files_requiring(|v| {
            v.starts_with("GLIBC_") && GlibcVersion::parse(v).ok() == Some(max)
        });
        out.push(Violation::new(
            format!("requires GLIBC_{max} (from {libs})"),
            format!("no symbol version above GLIBC_{floor}, the configured glibc floor"),
            zig.clone(),
        ));
    }
    for name in &facts.glibc_unnumbered {
        let libs = facts.files_requiring(|v| v == name);
        let (why, fix) = match name.as_str() {
            "GLIBC_PRIVATE" => (
                "glibc's internal ABI, which changes with every glibc release",
                format!("remove the use of the private glibc symbol; then {zig}"),
            ),
            "GLIBC_ABI_DT_RELR" => (
                "packed relative relocations, which only glibc 2.36 and later load",
                format!("drop `-z pack-relative-relocs` from the link arguments, or {zig}"),
            ),
            _ => ("a glibc ABI marker without a version number", zig.clone()),
        };
        out.push(Violation::new(
            format!("requires {name} (from {libs}): {why}"),
            format!("only numbered glibc versions up to GLIBC_{floor}"),
            fix,
        ));
    }
    out
}

fn stripped(facts: &BinaryFacts) -> Option<Violation> {
    let unstripped = facts.unstripped_sections();
    (!unstripped.is_empty()).then(|| {
        Violation::new(
            format!("not stripped: {}", unstripped.join(", ")),
            "a stripped binary: no .symtab and no .debug_*/.zdebug_* sections",
            "set `strip = true` in `[profile.release]` in Cargo.toml",
        )
    })
}

/// Both tags: Debian's `ld -rpath` writes `DT_RUNPATH`, older linkers and
/// `--disable-new-dtags` write `DT_RPATH`.
fn search_paths(facts: &BinaryFacts) -> Vec<Violation> {
    [("RPATH", &facts.rpath), ("RUNPATH", &facts.runpath)]
        .into_iter()
        .filter(|(_, paths)| !paths.is_empty())
        .map(|(tag, paths)| {
            Violation::new(
                format!("{tag} {}", paths.join(":")),
                "no RPATH and no RUNPATH: libraries come from the host's standard paths",
                "remove `-rpath` from the link arguments (`-C link-arg`, RUSTFLAGS, build \
                 scripts emitting `cargo:rustc-link-arg`)",
            )
        })
        .collect()
}

/// Enforced although it is "only" hardening: an executable stack comes from one stray
/// assembly object without a .note.GNU-stack section, never from intent, and it turns every
/// stack overflow into code execution. Rust and zig never produce it on their own.
fn stack(facts: &BinaryFacts) -> Option<Violation> {
    (!facts.nx_stack).then(|| {
        Violation::new(
            "an executable stack (PT_GNU_STACK missing or with the X flag)",
            "a non-executable stack: PT_GNU_STACK with flags RW",
            "find the object without a .note.GNU-stack section (C or assembly built by a build \
             script) and add one, or link with `-C link-arg=-Wl,-z,noexecstack`",
        )
    })
}
