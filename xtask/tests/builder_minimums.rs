//! The lowest glibc zig links for each architecture (`zig_glibc` in `config/arch.rs`), derived
//! from the zig installed at the pinned version. In the normal suite, in a second: its own table
//! of the C libraries it provides, and zig refusing to link just below a minimum it sets. Run
//! from `.ci/run` (minutes with an empty zig cache): a C program that unwinds as Rust's std does
//! links at the table's number, and not one release below it when that is above zig's minimum.
//! A new zig that moves a number fails here, naming the architecture.

use std::path::PathBuf;
use std::process::Command;

use xtask::config::arch::{ARCHES, Arch};
use xtask::config::glibc::GlibcVersion;

fn python_zig(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .args(["-m", "ziglang"])
        .args(args)
        .output()
        .expect("python3 -m ziglang runs (cargo xtask setup installs it)")
}

/// zig's own directory, where `lib/std/zig/target.zig` lists the libcs it can provide.
fn zig_lib() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import ziglang, os; print(os.path.dirname(ziglang.__file__))"])
        .output()
        .expect("python3 runs");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("lib")
}

/// zig's names for the architecture and its glibc ABI: `arm`/`gnueabihf`, `x86`/`gnu`.
fn zig_names(arch: &Arch) -> (String, String) {
    let (cpu, abi) = arch.gnu_triple.split_once("-linux-").unwrap();
    let cpu = if cpu == "i686" { "x86" } else { cpu };
    (cpu.to_string(), abi.to_string())
}

/// zig's entry for `<cpu>-linux-<abi>`: `None` if it provides no glibc for it, else its own
/// minimum glibc if it sets one.
fn zig_entry(table: &str, cpu: &str, abi: &str) -> Option<Option<GlibcVersion>> {
    let head = format!(".arch = .{cpu}, .os = .linux, .abi = .{abi}");
    let line = table
        .lines()
        .find(|l| l.split_once(&head).is_some_and(|(_, rest)| rest.starts_with([',', ' '])))?;
    let min = line.split_once(".glibc_min = .{").map(|(_, rest)| {
        let field = |name: &str| -> u32 {
            let (_, after) = rest.split_once(&format!(".{name} = ")).unwrap();
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap()
        };
        GlibcVersion([field("major"), field("minor"), field("patch")])
    });
    Some(min)
}

/// A C program that, like every Rust binary, calls `_Unwind_Resume`: zig links its own
/// libunwind for it, as cargo-zigbuild has it do for Rust's `-lgcc_s`.
const UNWINDS: &str = "extern void _Unwind_Resume(void *);\n\
    int main(int argc, char **argv) { if (argc > 99) _Unwind_Resume(argv); return 0; }\n";

/// Links `source` for `<cpu>-linux-<abi>.<version>` with zig's libunwind: `Err` holds zig's
/// complaint.
fn link(cpu: &str, abi: &str, version: GlibcVersion, source: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.c");
    std::fs::write(&file, source).unwrap();
    let target = format!("{cpu}-linux-{abi}.{version}");
    let out = dir.path().join("main");
    let (file, out) = (file.to_str().unwrap(), out.to_str().unwrap());
    let output = python_zig(&["cc", "-target", &target, file, "-lunwind", "-o", out]);
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

/// zig's refusal to provide glibc at `version`, if it refuses.
fn refusal(cpu: &str, abi: &str, version: GlibcVersion) -> Option<String> {
    let main = "int main(void) { return 0; }\n";
    link(cpu, abi, version, main).err().filter(|e| e.contains("unable to provide libc"))
}

/// zig's own lowest glibc for the architecture: its table, and its refusal just below.
fn zig_minimum(table: &str, arch: &Arch) -> Option<GlibcVersion> {
    let (cpu, abi) = zig_names(arch);
    zig_entry(table, &cpu, &abi).map(|min| {
        let Some(min) = min.filter(|m| *m > arch.glibc_first) else {
            return arch.glibc_first;
        };
        let below = previous(min);
        let said = refusal(&cpu, &abi, below)
            .unwrap_or_else(|| panic!("zig links {cpu}-linux-{abi}.{below}, below {min}"));
        assert!(said.contains(&format!("-{abi}.{min}")), "{said}");
        min
    })
}

/// The glibc release before `version`: 2.31 before 2.32, 2.2 before 2.2.4.
fn previous(version: GlibcVersion) -> GlibcVersion {
    match version.0 {
        [major, minor, 0] => GlibcVersion([major, minor - 1, 0]),
        [major, minor, _] => GlibcVersion([major, minor, 0]),
    }
}

fn show(version: Option<GlibcVersion>) -> String {
    version.map_or("none".into(), |v| v.to_string())
}

fn pinned_zig() -> String {
    let manifest =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
            .unwrap();
    let pinned = manifest
        .lines()
        .find_map(|l| l.strip_prefix("ziglang = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("ziglang pinned in [workspace.metadata.release.tools]")
        .to_string();
    let version = String::from_utf8(python_zig(&["version"]).stdout).unwrap();
    assert_eq!(version.trim(), pinned, "the table describes zig {pinned}: run `cargo xtask setup`");
    pinned
}

fn assert_none_moved(moved: Vec<String>) {
    assert!(
        moved.is_empty(),
        "zig_glibc in xtask/src/config/arch.rs has drifted from zig:\n{}",
        moved.join("\n")
    );
}

#[test]
fn no_number_is_below_what_the_pinned_zig_provides() {
    let pinned = pinned_zig();
    let table = std::fs::read_to_string(zig_lib().join("std/zig/target.zig")).unwrap();
    let mut moved = Vec::new();
    for arch in ARCHES {
        let zig = zig_minimum(&table, arch);
        let fits = match (zig, arch.zig_glibc) {
            (Some(zig), Some(ours)) => ours >= zig,
            (zig, ours) => zig == ours,
        };
        if !fits {
            moved.push(format!(
                "{}: zig {pinned} provides glibc from {}, the table says {}",
                arch.rust,
                show(zig),
                show(arch.zig_glibc)
            ));
        }
    }
    assert_none_moved(moved);
}

#[test]
#[ignore = "links a program per architecture: minutes with an empty zig cache; .ci/run runs it"]
fn a_program_that_unwinds_links_from_the_tables_number_and_not_below() {
    let pinned = pinned_zig();
    let table = std::fs::read_to_string(zig_lib().join("std/zig/target.zig")).unwrap();
    let mut moved = Vec::new();
    for arch in ARCHES {
        let (Some(zig), Some(ours)) = (zig_minimum(&table, arch), arch.zig_glibc) else {
            continue; // the test above compares the nones
        };
        let (cpu, abi) = zig_names(arch);
        if let Err(e) = link(&cpu, &abi, ours, UNWINDS) {
            let e = e.lines().find(|l| l.contains("error")).unwrap_or_default();
            moved.push(format!("{}: zig {pinned} does not link it at {ours}: {e}", arch.rust));
        } else if ours > zig && link(&cpu, &abi, previous(ours), UNWINDS).is_ok() {
            let below = previous(ours);
            moved.push(format!(
                "{}: zig {pinned} links it at {below}, the table says {ours}",
                arch.rust
            ));
        }
    }
    assert_none_moved(moved);
}
