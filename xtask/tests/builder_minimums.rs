//! The lowest glibc zig links for each architecture (`zig_glibc` in `config/arch.rs`), derived
//! from the zig installed at the pinned version: its own table of the C libraries it provides,
//! and, where that table sets a minimum, zig refusing to link a C file just below it. A new zig
//! that moves a number fails here, naming the architecture.

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
        .args([
            "-c",
            "import ziglang, os; print(os.path.dirname(ziglang.__file__))",
        ])
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
    let line = table.lines().find(|l| {
        l.split_once(&head)
            .is_some_and(|(_, rest)| rest.starts_with([',', ' ']))
    })?;
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

/// Links a C file for `<cpu>-linux-<abi>.<version>` and returns zig's refusal, if it refuses.
fn refusal(cpu: &str, abi: &str, version: GlibcVersion) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("main.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let target = format!("{cpu}-linux-{abi}.{version}");
    let out = dir.path().join("main");
    let output = python_zig(&[
        "cc",
        "-target",
        &target,
        source.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (!output.status.success() && stderr.contains("unable to provide libc")).then_some(stderr)
}

#[test]
fn the_table_says_what_the_pinned_zig_links() {
    let manifest =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
            .unwrap();
    let pinned = manifest
        .lines()
        .find_map(|l| l.strip_prefix("ziglang = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("ziglang pinned in [workspace.metadata.release.tools]");
    let version = String::from_utf8(python_zig(&["version"]).stdout).unwrap();
    assert_eq!(
        version.trim(),
        pinned,
        "the table describes zig {pinned}: run `cargo xtask setup`"
    );
    let table = std::fs::read_to_string(zig_lib().join("std/zig/target.zig")).unwrap();
    let mut moved = Vec::new();
    for arch in ARCHES {
        let (cpu, abi) = zig_names(arch);
        let derived = zig_entry(&table, &cpu, &abi).map(|min| {
            let Some(min) = min.filter(|m| *m > arch.glibc_first) else {
                return arch.glibc_first;
            };
            // zig's table is what zig does: one minor release below, it refuses and names it.
            let [major, minor, _] = min.0;
            let below = GlibcVersion([major, minor - 1, 0]);
            let said = refusal(&cpu, &abi, below)
                .unwrap_or_else(|| panic!("zig links {cpu}-linux-{abi}.{below}, below {min}"));
            assert!(said.contains(&format!("-{abi}.{min}")), "{said}");
            min
        });
        if derived != arch.zig_glibc {
            moved.push(format!(
                "{}: zig {pinned} links glibc from {}, the table says {}",
                arch.rust,
                derived.map_or("none".into(), |v| v.to_string()),
                arch.zig_glibc.map_or("none".into(), |v| v.to_string()),
            ));
        }
    }
    assert!(
        moved.is_empty(),
        "zig_glibc in xtask/src/config/arch.rs has drifted from zig:\n{}",
        moved.join("\n")
    );
}
