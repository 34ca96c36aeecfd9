//! The verifier against real binaries built here with the real toolchains, and against
//! damaged copies of them.

use std::path::{Path, PathBuf};

use goblin::elf::dynamic::{DF_1_PIE, DT_FLAGS, DT_FLAGS_1, DT_VERNEEDNUM};
use goblin::elf::program_header::{PT_DYNAMIC, PT_INTERP};
use goblin::elf::section_header::SHT_GNU_VERNEED;
use tempfile::{TempDir, tempdir};
use xshell::{Shell, cmd};

use super::facts::glibc_summary;
use super::*;
use crate::config::arch::{ARCHES, Arch};

const HELLO: &str = "int main(void) { return 0; }\n";
/// No libc at all: links for classes and byte orders the host has no C library for.
const BARE: &str = "void _start(void) { for (;;) {} }\n";

/// A program a test needs and how to get it: a missing tool fails the test, never skips it.
struct Tool {
    program: &'static str,
    args: &'static [&'static str],
    install: &'static str,
}

const fn tool(program: &'static str, install: &'static str) -> Tool {
    Tool { program, args: &[], install }
}

const GCC: Tool = tool("gcc", "apt-get install gcc");
const MUSL_GCC: Tool = tool("musl-gcc", "apt-get install musl-tools");
const AARCH64_GCC: Tool = tool("aarch64-linux-gnu-gcc", "apt-get install gcc-aarch64-linux-gnu");
const ARMHF_GCC: Tool = tool("arm-linux-gnueabihf-gcc", "apt-get install gcc-arm-linux-gnueabihf");
const RISCV64_GCC: Tool = tool("riscv64-linux-gnu-gcc", "apt-get install gcc-riscv64-linux-gnu");
const STRIP: Tool = tool("strip", "apt-get install binutils");
const READELF: Tool = tool("readelf", "apt-get install binutils");
const RUSTC: Tool = tool("rustc", "rustup target add x86_64-unknown-linux-musl");
const ZIG_CC: Tool =
    Tool { args: &["-m", "ziglang", "cc"], ..tool("python3", "pip install ziglang") };

/// Builds test inputs in a test's own temporary directory, removed when the test ends.
trait Build {
    fn run(&self, tool: &Tool, args: &[&str]) -> String;

    /// Compiles C `source` with `tool` and `flags` into `out`; returns its path.
    fn cc(&self, tool: &Tool, flags: &[&str], source: &str, out: &str) -> PathBuf;

    fn strip(&self, path: &Path) {
        self.run(&STRIP, &[path.to_str().unwrap()]);
    }

    /// [`BARE`] built with `tool` and `flags` into a static, stripped binary without libc.
    fn bare(&self, tool: &Tool, flags: &[&str]) -> PathBuf {
        let all = [flags, &["-nostdlib", "-static", "-s"]].concat();
        self.cc(tool, &all, BARE, "bare")
    }
}

impl Build for TempDir {
    fn run(&self, tool: &Tool, args: &[&str]) -> String {
        let sh = Shell::new().unwrap();
        sh.change_dir(self.path());
        let (program, fixed) = (tool.program, tool.args);
        cmd!(sh, "{program} {fixed...} {args...}")
            .ignore_stderr()
            .read()
            .unwrap_or_else(|e| panic!("{e}\n(if `{program}` is missing: {})", tool.install))
    }

    fn cc(&self, tool: &Tool, flags: &[&str], source: &str, out: &str) -> PathBuf {
        let src = format!("{out}.c");
        std::fs::write(self.path().join(&src), source).unwrap();
        // Flags after the source, so that libraries (-l) resolve its symbols.
        let mut args = vec!["-o", out, &src];
        args.extend(flags);
        self.run(tool, &args);
        self.path().join(out)
    }
}

fn target(triple: &str) -> Target {
    Target::parse(triple).unwrap()
}

fn glibc(text: &str) -> Option<GlibcVersion> {
    Some(GlibcVersion::parse(text).unwrap())
}

fn facts_of(path: &Path) -> BinaryFacts {
    let bytes = std::fs::read(path).unwrap();
    inspect(&bytes).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

fn facts_of_bytes(bytes: &[u8]) -> BinaryFacts {
    inspect(bytes).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Every violation as one string, for assertions that name what must be said.
fn violations(path: &Path, triple: &str, floor: Option<GlibcVersion>) -> Vec<Violation> {
    check(&facts_of(path), &target(triple), floor)
}

fn assert_one_violation<'a>(found: &'a [Violation], needle: &str) -> &'a Violation {
    let matching: Vec<&Violation> = found.iter().filter(|v| v.found.contains(needle)).collect();
    assert_eq!(matching.len(), 1, "expected one violation mentioning `{needle}`, got {found:#?}");
    matching[0]
}

/// The one violation in `found`, which must say exactly `what` was found.
fn only_violation<'a>(found: &'a [Violation], what: &str) -> &'a Violation {
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].found, what);
    &found[0]
}

/// The facts of a gnu binary that `triple` accepts with glibc floor `floor`, once they show the
/// `expected` class, byte order, architecture and loader.
fn accepted_gnu_binary(
    path: &Path,
    triple: &str,
    floor: &str,
    expected: (u8, bool, &str, &str),
) -> BinaryFacts {
    let facts = verify_file(path, &target(triple), glibc(floor)).unwrap();
    let interpreter = facts.interpreter.as_deref().unwrap_or("none");
    assert_eq!((facts.class, facts.little_endian, facts.machine_name(), interpreter), expected);
    facts
}

fn plain_gnu_binary(scratch: &TempDir) -> PathBuf {
    scratch.cc(&GCC, &["-s"], HELLO, "hello")
}

#[test]
fn rust_static_pie_musl_binary_is_accepted() {
    let scratch = tempdir().unwrap();
    std::fs::write(scratch.path().join("main.rs"), "fn main() { println!(\"hi\"); }\n").unwrap();
    scratch.run(
        &RUSTC,
        &["--target", "x86_64-unknown-linux-musl", "-C", "strip=symbols", "-o", "main", "main.rs"],
    );
    let path = scratch.path().join("main");

    let facts = verify_file(&path, &target("x86_64-unknown-linux-musl"), None).unwrap();
    assert_eq!(facts.file_type, FileType::StaticPie);
    assert_eq!(facts.linkage(), "static-pie");
    assert_eq!(facts.interpreter, None);
    assert!(facts.needed.is_empty());
    assert!(facts.pie && facts.nx_stack && facts.bind_now && facts.stripped());
    assert_eq!(facts.relro, Relro::Full);
    assert_eq!(facts.size, std::fs::metadata(&path).unwrap().len());
}

#[test]
fn static_musl_gcc_binary_is_accepted() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&MUSL_GCC, &["-static", "-s"], HELLO, "hello");
    let facts = verify_file(&path, &target("x86_64-unknown-linux-musl"), None).unwrap();
    assert_eq!(facts.file_type, FileType::Executable);
    assert_eq!(facts.linkage(), "static");
    assert!(!facts.pie);
}

#[test]
fn musl_binary_with_interpreter_is_rejected() {
    let scratch = tempdir().unwrap();
    // What `linker = "musl-gcc"` gives: -static-pie quietly yields a dynamic binary.
    let path = scratch.cc(&MUSL_GCC, &["-static-pie", "-s"], HELLO, "hello");
    let found = violations(&path, "x86_64-unknown-linux-musl", None);
    let interp = assert_one_violation(&found, "interpreter /lib/ld-musl-x86_64.so.1");
    assert!(interp.expected.contains("no interpreter"), "{interp}");
    assert!(interp.fix.contains("linker = \"musl-gcc\""), "{interp}");
    let needed = assert_one_violation(&found, "libc.so");
    assert!(needed.expected.contains("no DT_NEEDED"), "{needed}");

    let err = verify_file(&path, &target("x86_64-unknown-linux-musl"), None).unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("2 release policy violations for x86_64-unknown-linux-musl"), "{text}");
    assert!(
        text.contains("found:") && text.contains("expected:") && text.contains("fix:"),
        "{text}"
    );
}

#[test]
fn aarch64_binary_checked_as_x86_64_is_rejected() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&AARCH64_GCC, &["-s"], HELLO, "hello");
    for triple in ["x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"] {
        let found = violations(&path, triple, glibc("2.40"));
        let v = only_violation(&found, "ELF64 little-endian aarch64 (e_machine 183)");
        assert!(v.expected.contains("ELF64 little-endian x86_64 (e_machine 62)"), "{v}");
        assert!(v.fix.contains(&format!("--target {triple}")), "{v}");
    }
}

#[test]
fn x86_64_binary_checked_as_aarch64_is_rejected() {
    let scratch = tempdir().unwrap();
    let path = plain_gnu_binary(&scratch);
    let found = violations(&path, "aarch64-unknown-linux-gnu", glibc("2.40"));
    let v = only_violation(&found, "ELF64 little-endian x86_64 (e_machine 62)");
    assert!(v.expected.contains("aarch64 (e_machine 183)"), "{v}");
}

#[test]
fn i386_binary_is_rejected_as_the_wrong_class() {
    let scratch = tempdir().unwrap();
    let path = scratch.bare(&GCC, &["-m32"]);
    let facts = facts_of(&path);
    assert_eq!((facts.class, facts.machine_name()), (32, "i686"));
    let found = check(&facts, &target("x86_64-unknown-linux-musl"), None);
    only_violation(&found, "ELF32 little-endian i686 (e_machine 3)");
}

#[test]
fn x32_binary_is_rejected_although_its_machine_is_x86_64() {
    let scratch = tempdir().unwrap();
    let path = scratch.bare(&GCC, &["-mx32"]);
    let found = violations(&path, "x86_64-unknown-linux-musl", None);
    let v = only_violation(&found, "ELF32 little-endian x86_64 (e_machine 62)");
    assert!(v.expected.starts_with("ELF64 little-endian x86_64"), "{v}");
}

#[test]
fn big_endian_aarch64_binary_is_rejected() {
    let scratch = tempdir().unwrap();
    let path = scratch.bare(&AARCH64_GCC, &["-mbig-endian"]);
    let found = violations(&path, "aarch64-unknown-linux-gnu", None);
    let v = only_violation(&found, "ELF64 big-endian aarch64 (e_machine 183)");
    assert!(v.expected.contains("little-endian"), "{v}");
}

#[test]
fn armv7_hard_float_binary_is_accepted_as_armv7_unknown_linux_gnueabihf() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&ARMHF_GCC, &["-s"], HELLO, "hello");
    let expected = (32, true, "armv7", "/lib/ld-linux-armhf.so.3");
    let facts = accepted_gnu_binary(&path, "armv7-unknown-linux-gnueabihf", "2.40", expected);
    assert_eq!(facts.e_flags, 0x0500_0400, "EABI5, hard-float");
    assert_eq!(facts.needed, ["libc.so.6"]);
}

#[test]
fn armv7_soft_float_binary_is_rejected() {
    let scratch = tempdir().unwrap();
    let path = scratch.bare(&ARMHF_GCC, &["-mfloat-abi=soft"]);
    for triple in ["armv7-unknown-linux-gnueabihf", "armv7-unknown-linux-musleabihf"] {
        let found = violations(&path, triple, None);
        let v = only_violation(&found, "e_flags 0x05000200");
        assert!(v.expected.starts_with("EABI version 5 with the hard-float ABI"), "{v}");
        assert!(v.expected.ends_with(&format!("as {triple} requires")), "{v}");
        assert!(v.fix.contains("another ABI of armv7"), "{v}");
    }
}

#[test]
fn riscv64_double_float_binary_is_accepted_as_riscv64gc_unknown_linux_gnu() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&RISCV64_GCC, &["-s"], HELLO, "hello");
    let expected = (64, true, "riscv64gc", "/lib/ld-linux-riscv64-lp64d.so.1");
    let facts = accepted_gnu_binary(&path, "riscv64gc-unknown-linux-gnu", "2.40", expected);
    assert_eq!(facts.e_flags & 0x6, 0x4, "the double-float ABI");
}

/// `path` with another `e_flags`, written next to it as `name`.
fn with_e_flags(path: &Path, e_flags: u32, name: &str) -> PathBuf {
    let mut bytes = std::fs::read(path).unwrap();
    let at = if bytes[4] == 2 { 48 } else { 36 };
    let value = if bytes[5] == 1 { e_flags.to_le_bytes() } else { e_flags.to_be_bytes() };
    bytes[at..at + 4].copy_from_slice(&value);
    let out = path.with_file_name(name);
    std::fs::write(&out, bytes).unwrap();
    out
}

#[test]
fn riscv64_binary_without_the_double_float_abi_is_rejected() {
    let scratch = tempdir().unwrap();
    let soft = scratch.bare(&RISCV64_GCC, &["-march=rv64imac", "-mabi=lp64"]);
    let hello = scratch.cc(&RISCV64_GCC, &["-s"], HELLO, "hello");
    // RVC with the single-float ABI: the accepted binary with nothing else changed.
    let single = with_e_flags(&hello, 0x3, "single");
    for (path, e_flags) in [(soft, "e_flags 0x00000001"), (single, "e_flags 0x00000003")] {
        let found = violations(&path, "riscv64gc-unknown-linux-gnu", glibc("2.40"));
        let v = only_violation(&found, e_flags);
        assert!(
            v.expected.starts_with("the double-float ABI (lp64d) (e_flags & 0x6 == 0x4)"),
            "{v}"
        );
    }
}

#[test]
fn s390x_big_endian_binary_is_accepted_for_its_target_and_rejected_for_others() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&ZIG_CC, &["-target", "s390x-linux-gnu.2.17", "-s"], HELLO, "hello");
    let expected = (64, false, "s390x", "/lib/ld64.so.1");
    let facts = accepted_gnu_binary(&path, "s390x-unknown-linux-gnu", "2.17", expected);
    // Read from big-endian DT_VERNEED and .gnu.version_r entries.
    assert_eq!(facts.glibc_max, glibc("2.2"));
    assert_eq!(facts.needed, ["libc.so.6"]);

    let found = violations(&path, "x86_64-unknown-linux-gnu", glibc("2.17"));
    let v = only_violation(&found, "ELF64 big-endian s390x (e_machine 22)");
    assert!(v.expected.starts_with("ELF64 little-endian x86_64"), "{v}");
}

/// Facts that meet every rule of `arch`'s gnu target.
fn facts_meeting(arch: &Arch) -> BinaryFacts {
    BinaryFacts {
        class: arch.class,
        little_endian: arch.little_endian,
        machine: arch.e_machine,
        e_flags: arch.e_flags.map_or(0, |(_, value, _)| value),
        file_type: FileType::Executable,
        interpreter: Some(arch.glibc_loader.to_string()),
        needed: vec!["libc.so.6".to_string()],
        version_requirements: Vec::new(),
        glibc_max: Some(arch.glibc_first),
        glibc_unnumbered: Vec::new(),
        has_symtab: false,
        debug_sections: Vec::new(),
        rpath: Vec::new(),
        runpath: Vec::new(),
        pie: true,
        nx_stack: true,
        relro: Relro::Full,
        bind_now: true,
        size: 0,
    }
}

#[test]
fn every_architecture_is_judged_by_its_own_table_entry() {
    for arch in ARCHES {
        let triple = format!("{}-unknown-linux-gnu{}", arch.rust, arch.abi);
        let target = target(&triple);
        let good = facts_meeting(arch);
        let found = check(&good, &target, Some(arch.glibc_first));
        assert!(found.is_empty(), "{triple}: {found:#?}");

        let mut damaged = vec![
            BinaryFacts { class: 96 - arch.class, ..good.clone() },
            BinaryFacts { little_endian: !arch.little_endian, ..good.clone() },
            BinaryFacts { interpreter: Some("/lib/ld-other.so.1".to_string()), ..good.clone() },
        ];
        // Every other architecture's machine number makes a foreign binary.
        damaged.extend(
            ARCHES
                .iter()
                .filter(|other| *other != arch)
                .map(|other| BinaryFacts { machine: other.e_machine, ..good.clone() }),
        );
        // The lowest bit the ABI mask covers, flipped.
        if let Some((mask, value, _)) = arch.e_flags {
            damaged.push(BinaryFacts {
                e_flags: value ^ (mask & mask.wrapping_neg()),
                ..good.clone()
            });
        }
        for facts in &damaged {
            let found = check(facts, &target, Some(arch.glibc_first));
            assert_eq!(found.len(), 1, "{triple}: {facts:?} gave {found:#?}");
        }
    }
}

#[test]
fn gnu_binary_above_the_glibc_floor_is_rejected() {
    let scratch = tempdir().unwrap();
    // Debian 12's gcc links __libc_start_main@GLIBC_2.34.
    let path = plain_gnu_binary(&scratch);
    let found = violations(&path, "x86_64-unknown-linux-gnu", glibc("2.17"));
    let v = only_violation(&found, "requires GLIBC_2.34 (from libc.so.6)");
    assert!(v.expected.contains("above GLIBC_2.17"), "{v}");
    assert!(v.fix.contains("cargo zigbuild --target x86_64-unknown-linux-gnu.2.17"), "{v}");
    assert!(v.fix.contains("--builder zigbuild"), "{v}");
    assert!(v.fix.contains("`glibc-floor` in `[workspace.metadata.release]`"), "{v}");
}

#[test]
fn gnu_binary_within_a_higher_floor_is_accepted() {
    let scratch = tempdir().unwrap();
    let path = plain_gnu_binary(&scratch);
    let facts = verify_file(&path, &target("x86_64-unknown-linux-gnu"), glibc("2.40")).unwrap();
    assert_eq!(facts.glibc_max, glibc("2.34"));
    assert!(facts.glibc_unnumbered.is_empty());
    assert_eq!(facts.interpreter.as_deref(), Some("/lib64/ld-linux-x86-64.so.2"));
    assert_eq!(facts.needed, ["libc.so.6"]);
    assert_eq!((facts.file_type, facts.linkage()), (FileType::Executable, "dynamic"));
    assert!(facts.version_requirements.contains(&VersionRequirement {
        file: "libc.so.6".to_string(),
        version: "GLIBC_2.2.5".to_string(),
    }));
}

#[test]
fn zig_built_binary_meets_the_glibc_2_17_floor() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&ZIG_CC, &["-target", "x86_64-linux-gnu.2.17", "-s"], HELLO, "hello");
    let facts =
        verify_file(&path, &target("x86_64-unknown-linux-gnu.2.17"), glibc("2.17")).unwrap();
    // 2.2.5 < 2.17 only as integers: as strings or floats it would look higher.
    assert_eq!(facts.glibc_max, glibc("2.2.5"));
}

#[test]
fn aarch64_gnu_binary_is_accepted_for_its_target() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&AARCH64_GCC, &["-s"], HELLO, "hello");
    let expected = (64, true, "aarch64", "/lib/ld-linux-aarch64.so.1");
    let facts = accepted_gnu_binary(&path, "aarch64-unknown-linux-gnu", "2.40", expected);
    assert!(facts.glibc_max.is_some_and(|v| v >= GlibcVersion([2, 17, 0])));
}

#[test]
fn unstripped_binary_is_rejected_and_accepted_after_strip() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&GCC, &["-g"], HELLO, "hello");
    let found = violations(&path, "x86_64-unknown-linux-gnu", glibc("2.40"));
    let v = assert_one_violation(&found, "not stripped");
    assert!(v.found.contains(".symtab") && v.found.contains(".debug_info"), "{v}");
    assert!(v.fix.contains("strip = true") && v.fix.contains("[profile.release]"), "{v}");
    assert_eq!(found.len(), 1, "{found:#?}");

    scratch.strip(&path);
    verify_file(&path, &target("x86_64-unknown-linux-gnu"), glibc("2.40")).unwrap();
}

#[test]
fn runpath_is_rejected() {
    let scratch = tempdir().unwrap();
    // Debian's ld writes DT_RUNPATH for -rpath.
    let path = scratch.cc(&GCC, &["-s", "-Wl,-rpath,/opt/x"], HELLO, "hello");
    let facts = facts_of(&path);
    assert_eq!(
        (facts.rpath.len(), facts.runpath.as_slice()),
        (0, ["/opt/x".to_string()].as_slice())
    );
    let found = check(&facts, &target("x86_64-unknown-linux-gnu"), glibc("2.40"));
    let v = assert_one_violation(&found, "RUNPATH /opt/x");
    assert!(v.expected.contains("no RPATH and no RUNPATH"), "{v}");
}

#[test]
fn old_style_rpath_is_rejected() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&GCC, &["-s", "-Wl,--disable-new-dtags,-rpath,/opt/x"], HELLO, "hello");
    let facts = facts_of(&path);
    assert_eq!(
        (facts.rpath.as_slice(), facts.runpath.len()),
        (["/opt/x".to_string()].as_slice(), 0)
    );
    let found = check(&facts, &target("x86_64-unknown-linux-gnu"), glibc("2.40"));
    assert_one_violation(&found, "RPATH /opt/x");
}

#[test]
fn glibc_private_requirement_is_rejected_whatever_the_floor() {
    let scratch = tempdir().unwrap();
    let source =
        "extern int __libc_enable_secure;\nint main(void) { return __libc_enable_secure; }\n";
    let path = scratch.cc(&GCC, &["-s"], source, "private");
    let facts = facts_of(&path);
    assert_eq!(facts.glibc_unnumbered, ["GLIBC_PRIVATE"]);
    assert_eq!(facts.glibc_max, glibc("2.34"));
    let found = check(&facts, &target("x86_64-unknown-linux-gnu"), glibc("2.99"));
    let v = assert_one_violation(&found, "GLIBC_PRIVATE");
    assert!(v.found.contains("ld-linux-x86-64.so.2"), "{v}");
    assert!(v.expected.contains("only numbered glibc versions up to GLIBC_2.99"), "{v}");
}

#[test]
fn dt_relr_requirement_violates_the_floor() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&GCC, &["-s", "-Wl,-z,pack-relative-relocs"], HELLO, "relr");
    let found = violations(&path, "x86_64-unknown-linux-gnu", glibc("2.40"));
    let v = assert_one_violation(&found, "GLIBC_ABI_DT_RELR");
    assert!(v.fix.contains("pack-relative-relocs"), "{v}");
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn glibc_versions_are_compared_as_integers() {
    let req =
        |version: &str| VersionRequirement { file: "libc.so.6".into(), version: version.into() };
    let (max, unnumbered) = glibc_summary(&[
        req("GLIBC_2.4"),
        req("GLIBC_2.17"),
        req("GLIBC_2.3.4"),
        req("GLIBC_PRIVATE"),
        req("GLIBC_ABI_DT_RELR"),
        req("GLIBC_2.1.2.3"),
        req("GCC_3.0"),
        req("GLIBC_PRIVATE"),
    ]);
    assert_eq!(max, glibc("2.17"));
    assert_eq!(unnumbered, ["GLIBC_PRIVATE", "GLIBC_ABI_DT_RELR", "GLIBC_2.1.2.3"]);
}

#[test]
fn shared_library_is_not_an_executable() {
    let scratch = tempdir().unwrap();
    let path =
        scratch.cc(&GCC, &["-s", "-shared", "-fPIC"], "int f(void) { return 1; }\n", "libf.so");
    let facts = facts_of(&path);
    assert_eq!(facts.file_type, FileType::SharedLibrary);
    assert!(!facts.pie);
    let found = check(&facts, &target("x86_64-unknown-linux-gnu"), glibc("2.40"));
    let v = assert_one_violation(&found, "a shared-library");
    assert_eq!(v.expected, "an executable");
}

#[test]
fn library_outside_the_allowed_list_is_rejected() {
    let scratch = tempdir().unwrap();
    scratch.cc(&GCC, &["-shared", "-fPIC"], "int extra(void) { return 1; }\n", "libextra.so");
    let source = "int extra(void);\nint main(void) { return extra(); }\n";
    let path = scratch.cc(&GCC, &["-s", "-L.", "-lextra"], source, "uses-extra");
    let found = violations(&path, "x86_64-unknown-linux-gnu", glibc("2.40"));
    let v = only_violation(&found, "needed shared libraries not on every glibc host: libextra.so");
    assert!(v.expected.contains("libc.so.6"), "{v}");
}

#[test]
fn statically_linked_glibc_binary_is_rejected_for_a_gnu_target() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&GCC, &["-s", "-static"], HELLO, "hello");
    let found = violations(&path, "x86_64-unknown-linux-gnu", glibc("2.40"));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].found.starts_with("no interpreter"), "{}", found[0]);
    assert!(found[0].expected.contains("/lib64/ld-linux-x86-64.so.2"), "{}", found[0]);
}

#[test]
fn static_pie_is_an_executable_not_a_shared_library() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&GCC, &["-s", "-static-pie"], HELLO, "hello");
    let facts = facts_of(&path);
    assert_eq!((facts.file_type, facts.linkage()), (FileType::StaticPie, "static-pie"));
    assert!(facts.pie);
}

#[test]
fn executable_stack_is_rejected() {
    let scratch = tempdir().unwrap();
    let path = scratch.cc(&GCC, &["-s", "-z", "execstack"], HELLO, "hello");
    let facts = facts_of(&path);
    assert!(!facts.nx_stack);
    let found = check(&facts, &target("x86_64-unknown-linux-gnu"), glibc("2.40"));
    let v = assert_one_violation(&found, "executable stack");
    assert!(v.fix.contains("noexecstack"), "{v}");
}

#[test]
fn non_elf_file_is_rejected() {
    let err = inspect(b"#!/bin/sh\necho hello\n").unwrap_err();
    assert_eq!(err.to_string(), "not an ELF file: starts with \"#!/bin/sh\\necho h\"");
    let err = inspect(&[0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]).unwrap_err();
    assert_eq!(err.to_string(), "not an ELF file: starts with 50 4b 03 04 14 00");
    let err = inspect(b"").unwrap_err();
    assert_eq!(err.to_string(), "not an ELF file: starts with nothing: the file is empty");

    let scratch = tempdir().unwrap();
    let missing = scratch.path().join("missing");
    let err = verify_file(&missing, &target("x86_64-unknown-linux-musl"), None).unwrap_err();
    assert!(format!("{err:#}").starts_with(&format!("reading {}", missing.display())), "{err:#}");
}

#[test]
fn truncated_elf_is_malformed_not_a_panic() {
    let scratch = tempdir().unwrap();
    let bytes = std::fs::read(plain_gnu_binary(&scratch)).unwrap();
    for len in [4, 16, 63, 64, 200, bytes.len() / 2, bytes.len() - 1] {
        let err = inspect(&bytes[..len]).unwrap_err().to_string();
        assert!(err.starts_with("malformed ELF: "), "cut at {len}: {err}");
        assert!(err.contains("truncated") || err.contains("ends inside"), "cut at {len}: {err}");
    }
    let err = inspect(&bytes[..200]).unwrap_err().to_string();
    assert!(err.contains("program header table"), "{err}");
    let err = inspect(&bytes[..bytes.len() - 1]).unwrap_err().to_string();
    assert!(err.contains("section header table"), "{err}");
}

/// Every byte of the headers and tables set to other values, one at a time: the systematic
/// sweep; coverage-guided search is cargo-fuzz's (`fuzz/`), whose corpus the tests replay.
/// No mutation panics, and every rejection blames the file.
#[test]
fn byte_mutations_never_panic_and_rejections_blame_the_file() {
    let scratch = tempdir().unwrap();
    // A dynamic gnu binary exercises every reader: interpreter, strings, version needs.
    let dynamic = std::fs::read(plain_gnu_binary(&scratch)).unwrap();
    let unstripped = std::fs::read(scratch.cc(&GCC, &["-g"], HELLO, "debug")).unwrap();
    for original in [&dynamic, &unstripped] {
        let mut bytes = original.clone();
        for at in 0..bytes.len().min(4096) {
            for value in [bytes[at] ^ 0xff, bytes[at] ^ 0x01, 0x00, 0x80] {
                let saved = std::mem::replace(&mut bytes[at], value);
                if let Err(e) = inspect(&bytes) {
                    let text = e.to_string();
                    assert!(
                        super::corpus::says_the_file_is_bad(&text),
                        "byte {at} set to {value:#x}: {text}"
                    );
                }
                bytes[at] = saved;
            }
        }
    }
}

/// Locations of the fields the damage tests below overwrite, found with goblin.
fn dynamic_entry_value_offset(bytes: &[u8], tag: u64) -> usize {
    let elf = goblin::elf::Elf::parse(bytes).unwrap();
    let ph = elf.program_headers.iter().find(|ph| ph.p_type == PT_DYNAMIC).unwrap();
    let index = elf.dynamic.unwrap().dyns.iter().position(|d| d.d_tag == tag).unwrap();
    ph.p_offset as usize + index * 16 + 8
}

#[test]
fn a_repeated_dynamic_tag_counts_as_the_loader_counts_it_the_last_one() {
    let scratch = tempdir().unwrap();
    let original = std::fs::read(scratch.cc(&GCC, &["-s", "-Wl,-z,now"], HELLO, "now")).unwrap();
    assert!(facts_of_bytes(&original).bind_now);
    // ld leaves spare DT_NULL slots after the terminator: append DT_FLAGS and DT_FLAGS_1
    // entries without the NOW bits there, as a later link step could.
    let mut bytes = original.clone();
    let null = dynamic_entry_value_offset(&bytes, goblin::elf::dynamic::DT_NULL) - 8;
    let entries = [(DT_FLAGS, 0), (DT_FLAGS_1, DF_1_PIE)];
    for (i, (tag, value)) in entries.into_iter().enumerate() {
        let at = null + i * 16;
        bytes[at..at + 8].copy_from_slice(&tag.to_le_bytes());
        bytes[at + 8..at + 16].copy_from_slice(&value.to_le_bytes());
    }
    let facts = facts_of_bytes(&bytes);
    assert!(!facts.bind_now, "ld.so binds lazily: its last DT_FLAGS says so");
    assert_eq!(facts.relro, Relro::Partial);
    assert!(facts.pie);
}

#[test]
fn version_requirements_the_sections_do_not_show_are_malformed() {
    let scratch = tempdir().unwrap();
    let original = std::fs::read(plain_gnu_binary(&scratch)).unwrap();

    // One more requirement announced than the table holds.
    let mut bytes = original.clone();
    let at = dynamic_entry_value_offset(&bytes, DT_VERNEEDNUM);
    bytes[at] += 1;
    let err = inspect(&bytes).unwrap_err().to_string();
    assert!(err.starts_with("malformed ELF: version requirements"), "{err}");

    // The section retyped so that section-based readers (goblin's `verneed`) see nothing.
    let mut bytes = original.clone();
    let elf = goblin::elf::Elf::parse(&original).unwrap();
    let index = elf.section_headers.iter().position(|sh| sh.sh_type == SHT_GNU_VERNEED).unwrap();
    let sh_type = elf.header.e_shoff as usize + index * 64 + 4;
    bytes[sh_type..sh_type + 4].copy_from_slice(&1u32.to_le_bytes());
    assert!(goblin::elf::Elf::parse(&bytes).unwrap().verneed.is_none());
    let err = inspect(&bytes).unwrap_err().to_string();
    assert!(err.contains("but there is no .gnu.version_r section"), "{err}");
}

#[test]
fn unreadable_interpreter_is_malformed_not_static() {
    let scratch = tempdir().unwrap();
    let mut bytes = std::fs::read(plain_gnu_binary(&scratch)).unwrap();
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    let ph = elf.program_headers.iter().find(|ph| ph.p_type == PT_INTERP).unwrap();
    let (start, end) = (ph.p_offset as usize, (ph.p_offset + ph.p_filesz) as usize);

    let mut not_utf8 = bytes.clone();
    not_utf8[start + 1] = 0xff;
    // goblin now reports no interpreter at all, as if the binary were static.
    assert_eq!(goblin::elf::Elf::parse(&not_utf8).unwrap().interpreter, None);
    let err = inspect(&not_utf8).unwrap_err().to_string();
    assert!(err.contains("PT_INTERP") && err.contains("UTF-8 path"), "{err}");

    // The kernel refuses a PT_INTERP without its NUL, though goblin reads it.
    bytes[end - 1] = b'X';
    let err = inspect(&bytes).unwrap_err().to_string();
    assert!(err.contains("PT_INTERP") && err.contains("NUL-terminated"), "{err}");
}

#[test]
fn wrong_header_entry_sizes_are_malformed() {
    let scratch = tempdir().unwrap();
    let original = std::fs::read(plain_gnu_binary(&scratch)).unwrap();
    // e_phentsize and e_shentsize of an ELF64 header.
    for (at, field) in [(54, "e_phentsize"), (58, "e_shentsize")] {
        let mut bytes = original.clone();
        bytes[at] = 0x30;
        let err = inspect(&bytes).unwrap_err().to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
}

#[test]
fn facts_agree_with_readelf() {
    let scratch = tempdir().unwrap();
    let binaries = [
        plain_gnu_binary(&scratch),
        scratch.cc(
            &GCC,
            &["-Wl,--disable-new-dtags,-rpath,/opt/a:/opt/b", "-Wl,-z,norelro"],
            HELLO,
            "rpath",
        ),
        scratch.cc(&GCC, &["-Wl,-rpath,/opt/x", "-no-pie", "-Wl,-z,lazy"], HELLO, "runpath"),
        scratch.cc(&MUSL_GCC, &["-static-pie"], HELLO, "musl-dynamic"),
        scratch.cc(&MUSL_GCC, &["-static"], HELLO, "musl-static"),
        scratch.cc(&AARCH64_GCC, &[], HELLO, "arm"),
    ];
    for path in &binaries {
        let facts = facts_of(path);
        let text = scratch.run(&READELF, &["-lWd", path.to_str().unwrap()]);
        let bracketed = |marker: &str| -> Vec<String> {
            text.lines()
                .filter_map(|line| line.split_once(marker))
                .filter_map(|(_, rest)| rest.split_once(']').map(|(value, _)| value.to_string()))
                .collect()
        };
        let name = path.display();
        assert_eq!(facts.interpreter, bracketed("program interpreter: ").pop(), "{name}");
        assert_eq!(facts.needed, bracketed("Shared library: ["), "{name}");
        assert_eq!(facts.rpath, bracketed("Library rpath: ["), "{name}");
        assert_eq!(facts.runpath, bracketed("Library runpath: ["), "{name}");
        let stack = text.lines().find(|l| l.trim_start().starts_with("GNU_STACK")).unwrap();
        assert_eq!(facts.nx_stack, !stack.contains("RWE"), "{name}: {stack}");
        let relro = text.lines().any(|l| l.trim_start().starts_with("GNU_RELRO"));
        assert_eq!(facts.relro != Relro::None, relro, "{name}");
        let now = text.lines().any(|l| {
            (l.contains("(FLAGS)") && l.contains("BIND_NOW"))
                || (l.contains("(FLAGS_1)") && l.contains(" NOW"))
                || l.contains("(BIND_NOW)")
        });
        assert_eq!(facts.bind_now, now, "{name}");
        assert_eq!(facts.pie, text.contains("DYN (Position-Independent Executable"), "{name}");
    }
}

#[test]
fn facts_serialize_with_stable_snake_case_keys() {
    let scratch = tempdir().unwrap();
    let facts = facts_of(&plain_gnu_binary(&scratch));
    let json = serde_json::to_value(crate::manifest::Binary::from(&facts)).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "class",
        "endian",
        "machine",
        "machine_name",
        "e_flags",
        "file_type",
        "linkage",
        "interpreter",
        "needed",
        "version_requirements",
        "glibc_max",
        "glibc_unnumbered",
        "stripped",
        "rpath",
        "runpath",
        "pie",
        "nx_stack",
        "relro",
        "bind_now",
        "size",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(json["file_type"], "executable");
    assert_eq!(json["glibc_max"], "2.34");
    assert_eq!(json["interpreter"], "/lib64/ld-linux-x86-64.so.2");
    // Debian's gcc links lazily by default: GNU_RELRO without BIND_NOW.
    assert_eq!(
        (&json["relro"], &json["bind_now"]),
        (&serde_json::json!("partial"), &serde_json::json!(false))
    );
    assert_eq!(json["endian"], "little");
}

#[test]
fn facts_print_as_an_aligned_block() {
    let scratch = tempdir().unwrap();
    let text = facts_of(&plain_gnu_binary(&scratch)).to_string();
    let row = |key: &str, value: &str| format!("  {key:<13}{value}\n");
    assert!(
        text.contains(&row("architecture", "ELF64 little-endian x86_64 (e_machine 62)")),
        "{text}"
    );
    assert!(text.contains(&row("glibc", "GLIBC_2.34")), "{text}");
    assert!(text.contains(&row("relro", "partial")), "{text}");
    let aligned =
        |line: &str| line.len() > 15 && line.as_bytes()[14] == b' ' && line.as_bytes()[15] != b' ';
    assert!(text.lines().all(aligned), "{text}");
}
