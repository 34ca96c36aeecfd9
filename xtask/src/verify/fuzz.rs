//! A mutation fuzzer for `inspect` and `check` that runs on the stable toolchain: real ELF files
//! (built here with every C toolchain the targets use, plus the release binaries when they
//! exist) damaged field by field, where the verifier's bounds checks live.
//!
//! Quick run (part of `cargo test`): `mutated_elf_files_never_panic_the_verifier`.
//! Long run, with a rate, the distinct failures and the slow inputs at the end:
//!
//! ```sh
//! FUZZ_ITERATIONS=5000000 FUZZ_SEED=1 nice -n 10 \
//!     cargo test --release -p xtask fuzz_long -- --ignored --nocapture
//! ```
//!
//! `FUZZ_TARGET_DIR` adds the release binaries of another target dir to the seeds.
//! `FUZZ_SAVE_KINDS=1` keeps the first input of every distinct rejection from a small seed in the
//! corpus, with the message it must keep giving.
//! `FUZZ_SECONDS` stops the long run after that much time; `FUZZ_REPLAY=N` (with the same
//! `FUZZ_SEED`) writes input number N to the temp dir and runs it alone, so a report reproduces.
//! Panicking inputs up to 64 KiB go to `xtask/fuzz-corpus/`, which
//! `every_corpus_file_gives_its_recorded_outcome` replays on every `cargo test`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use goblin::elf::dynamic::{
    DT_FLAGS, DT_FLAGS_1, DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_STRSZ, DT_STRTAB, DT_VERNEED,
    DT_VERNEEDNUM,
};
use goblin::elf::program_header::{PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP, PT_LOAD};
use goblin::elf::section_header::{
    SHT_DYNAMIC, SHT_GNU_VERNEED, SHT_NOBITS, SHT_STRTAB, SHT_SYMTAB, SectionHeader,
};

use crate::target::{GlibcVersion, Target};

use super::*;

/// Corpus files stay small so that the repository does not grow with every finding.
const CORPUS_LIMIT: usize = 64 * 1024;
/// An input slower than this is reported: the verifier reads headers, never whole files twice.
const SLOW: Duration = Duration::from_millis(100);
/// An input still running after this long is a hang; the run stops and says how to replay it.
const HANG: Duration = Duration::from_secs(20);

/// splitmix64: tiny, fast, and good enough to spread mutations; the same seed gives the same run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.next().is_multiple_of(one_in)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Where a field of an ELF structure sits in one seed file, so it can be overwritten with the
/// values that break readers: zero, all ones, the file size and its neighbours, other fields.
#[derive(Clone, Copy, Debug)]
struct Field {
    offset: usize,
    width: usize,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Header,
    ProgramHeader {
        p_type: u32,
    },
    SectionHeader,
    Dynamic,
    Verneed,
    Vernaux,
    /// A byte of a string table or of `PT_INTERP`: NUL terminators and UTF-8 matter there.
    StringByte,
}

struct Seed {
    name: String,
    bytes: Vec<u8>,
    little_endian: bool,
    fields: Vec<Field>,
}

impl Seed {
    fn new(name: String, bytes: Vec<u8>) -> Seed {
        let little_endian = bytes.get(5) != Some(&2);
        let fields = locate_fields(&bytes);
        assert!(
            !fields.is_empty(),
            "{name}: goblin cannot parse this seed, so no field can be targeted"
        );
        Seed {
            name,
            bytes,
            little_endian,
            fields,
        }
    }
}

/// Every field the verifier reads, found with goblin on the intact seed.
fn locate_fields(bytes: &[u8]) -> Vec<Field> {
    let Ok(elf) = goblin::elf::Elf::parse(bytes) else {
        return Vec::new();
    };
    let is64 = elf.is_64;
    let mut out = Vec::new();
    let mut add = |offset: usize, width: usize, kind: Kind| {
        if offset + width <= bytes.len() {
            out.push(Field {
                offset,
                width,
                kind,
            });
        }
    };

    // e_ident class and data, then e_type .. e_shstrndx.
    add(4, 1, Kind::Header);
    add(5, 1, Kind::Header);
    let header: &[(usize, usize)] = if is64 {
        &[
            (16, 2),
            (18, 2),
            (24, 8),
            (32, 8),
            (40, 8),
            (52, 2),
            (54, 2),
            (56, 2),
            (58, 2),
            (60, 2),
            (62, 2),
        ]
    } else {
        &[
            (16, 2),
            (18, 2),
            (24, 4),
            (28, 4),
            (32, 4),
            (40, 2),
            (42, 2),
            (44, 2),
            (46, 2),
            (48, 2),
            (50, 2),
        ]
    };
    for &(offset, width) in header {
        add(offset, width, Kind::Header);
    }

    let (phsize, phfields): (usize, &[(usize, usize)]) = if is64 {
        (56, &[(0, 4), (4, 4), (8, 8), (16, 8), (32, 8), (40, 8)])
    } else {
        (32, &[(0, 4), (4, 4), (8, 4), (16, 4), (20, 4), (24, 4)])
    };
    for (i, ph) in elf.program_headers.iter().enumerate() {
        let base = elf.header.e_phoff as usize + i * phsize;
        for &(offset, width) in phfields {
            add(
                base + offset,
                width,
                Kind::ProgramHeader { p_type: ph.p_type },
            );
        }
        if ph.p_type == PT_INTERP {
            for at in ph.file_range() {
                add(at, 1, Kind::StringByte);
            }
        }
    }

    let (shsize, shfields): (usize, &[(usize, usize)]) = if is64 {
        (64, &[(0, 4), (4, 4), (24, 8), (32, 8), (40, 4), (44, 4)])
    } else {
        (40, &[(0, 4), (4, 4), (16, 4), (20, 4), (24, 4), (28, 4)])
    };
    for (i, sh) in elf.section_headers.iter().enumerate() {
        let base = elf.header.e_shoff as usize + i * shsize;
        for &(offset, width) in shfields {
            add(base + offset, width, Kind::SectionHeader);
        }
        // Only the small string tables: a byte of .dynstr or .shstrtab, not of .strtab's
        // thousands of symbol names, which would drown the rest.
        if sh.sh_type == SHT_STRTAB && sh.sh_size <= 4096 {
            for at in sh.file_range().into_iter().flatten() {
                add(at, 1, Kind::StringByte);
            }
        }
        if sh.sh_type == SHT_GNU_VERNEED {
            verneed_fields(bytes, sh, elf.little_endian, &mut add);
        }
    }

    if let Some(ph) = elf
        .program_headers
        .iter()
        .find(|ph| ph.p_type == PT_DYNAMIC)
    {
        let width = if is64 { 8 } else { 4 };
        let count = elf.dynamic.as_ref().map_or(0, |d| d.dyns.len());
        for i in 0..=count {
            let base = ph.p_offset as usize + i * 2 * width;
            add(base, width, Kind::Dynamic);
            add(base + width, width, Kind::Dynamic);
        }
    }
    out
}

/// The `Elf_Verneed` and `Elf_Vernaux` fields of one intact `.gnu.version_r`.
fn verneed_fields(
    bytes: &[u8],
    sh: &SectionHeader,
    little_endian: bool,
    add: &mut impl FnMut(usize, usize, Kind),
) {
    let read = |at: usize, width: usize| -> Option<u64> {
        let raw = bytes.get(at..at + width)?;
        let mut value = 0u64;
        for i in 0..width {
            let byte = if little_endian {
                raw[width - 1 - i]
            } else {
                raw[i]
            };
            value = value << 8 | u64::from(byte);
        }
        Some(value)
    };
    let mut entry = sh.sh_offset as usize;
    for _ in 0..sh.sh_info.min(64) {
        for (offset, width) in [(2, 2), (4, 4), (8, 4), (12, 4)] {
            add(entry + offset, width, Kind::Verneed);
        }
        let (Some(count), Some(aux), Some(next)) =
            (read(entry + 2, 2), read(entry + 8, 4), read(entry + 12, 4))
        else {
            return;
        };
        let mut vernaux = entry + aux as usize;
        for _ in 0..count.min(64) {
            for (offset, width) in [(6, 2), (8, 4), (12, 4)] {
                add(vernaux + offset, width, Kind::Vernaux);
            }
            match read(vernaux + 12, 4) {
                Some(0) | None => break,
                Some(step) => vernaux += step as usize,
            }
        }
        if next == 0 {
            return;
        }
        entry += next as usize;
    }
}

/// One input: the seed with some bytes overwritten, then possibly cut short. Applied in place
/// and undone afterwards, since copying a release binary per iteration would cost more than
/// inspecting it.
struct Mutation {
    writes: Vec<(usize, u8)>,
    len: usize,
}

fn mutate(seed: &Seed, rng: &mut Rng) -> Mutation {
    let bytes = &seed.bytes;
    let mut m = Mutation {
        writes: Vec::new(),
        len: bytes.len(),
    };
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        match rng.below(20) {
            0..=1 => {
                // Anywhere in the file; the headers are in the first page, where most damage
                // is read.
                let span = if rng.chance(2) {
                    bytes.len().min(4096)
                } else {
                    bytes.len()
                };
                let at = rng.below(span);
                let value = if rng.chance(2) {
                    bytes[at] ^ (1 << rng.below(8))
                } else {
                    rng.next() as u8
                };
                m.writes.push((at, value));
            }
            2 => {
                m.len = match rng.below(4) {
                    0 => rng.below(bytes.len()),
                    1 => bytes.len() - 1 - rng.below(bytes.len().min(256)),
                    2 => rng.below(bytes.len().min(512)),
                    // Where a structure starts or ends: at a field's own value.
                    _ => {
                        let field = rng.pick(&seed.fields);
                        (read(bytes, *field, seed.little_endian) as usize).min(bytes.len())
                    }
                };
            }
            _ => {
                let field = pick_field(seed, rng);
                let value = interesting(seed, field, rng);
                write(&mut m.writes, field, value, seed.little_endian);
            }
        }
    }
    m
}

/// Favours the structures with the most reader code behind them.
fn pick_field(seed: &Seed, rng: &mut Rng) -> Field {
    let wanted = match rng.below(8) {
        0 => Some(Kind::Header),
        1 => Some(Kind::SectionHeader),
        2 => Some(Kind::Dynamic),
        3 => Some(Kind::Verneed),
        4 => Some(Kind::Vernaux),
        5 => Some(Kind::StringByte),
        _ => None,
    };
    if let Some(kind) = wanted {
        let matching: Vec<&Field> = seed.fields.iter().filter(|f| f.kind == kind).collect();
        if !matching.is_empty() {
            return **rng.pick(&matching);
        }
    }
    // Program headers of the segments the verifier reads, or any field at all.
    let special: Vec<&Field> = seed
        .fields
        .iter()
        .filter(|f| {
            matches!(f.kind, Kind::ProgramHeader { p_type }
                if matches!(p_type, PT_DYNAMIC | PT_INTERP | PT_LOAD | PT_GNU_STACK | PT_GNU_RELRO))
        })
        .collect();
    if !special.is_empty() && rng.chance(2) {
        return **rng.pick(&special);
    }
    *rng.pick(&seed.fields)
}

fn interesting(seed: &Seed, field: Field, rng: &mut Rng) -> u64 {
    let len = seed.bytes.len() as u64;
    let original = read(&seed.bytes, field, seed.little_endian);
    let max = if field.width == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * field.width)) - 1
    };
    let value = match rng.below(17) {
        0 => 0,
        1 => 1,
        2 => max,
        3 => max - rng.below(16) as u64,
        4 => len,
        5 => len.wrapping_sub(1 + rng.below(64) as u64),
        6 => len + 1 + rng.below(64) as u64,
        7 => original.wrapping_add(1 + rng.below(32) as u64),
        8 => original.wrapping_sub(1 + rng.below(32) as u64),
        9 => original.wrapping_mul(2),
        10 => 1 << rng.below(64),
        11 => read(&seed.bytes, *rng.pick(&seed.fields), seed.little_endian),
        12 => *rng.pick(&[
            16u64,
            32,
            56,
            64,
            0x7f,
            0x80,
            0xff,
            0x7fff_ffff,
            0x8000_0000,
        ]),
        // Tags and types that send readers down other paths.
        13 => *rng.pick(&[
            DT_NEEDED,
            DT_STRTAB,
            DT_STRSZ,
            DT_VERNEED,
            DT_VERNEEDNUM,
            DT_RPATH,
            DT_RUNPATH,
            DT_FLAGS_1,
            DT_FLAGS,
            0,
        ]),
        14 => u64::from(*rng.pick(&[
            PT_LOAD,
            PT_DYNAMIC,
            PT_INTERP,
            PT_GNU_STACK,
            PT_GNU_RELRO,
            SHT_GNU_VERNEED,
            SHT_NOBITS,
            SHT_SYMTAB,
            SHT_STRTAB,
            SHT_DYNAMIC,
        ])),
        15 => u64::from(*rng.pick(&[0u8, b'/', 0xff, 0xc3, b'.', b'2'])),
        _ => rng.next(),
    };
    value & max
}

fn read(bytes: &[u8], field: Field, little_endian: bool) -> u64 {
    let raw = &bytes[field.offset..field.offset + field.width];
    let mut value = 0u64;
    for i in 0..field.width {
        let byte = if little_endian {
            raw[field.width - 1 - i]
        } else {
            raw[i]
        };
        value = value << 8 | u64::from(byte);
    }
    value
}

fn write(writes: &mut Vec<(usize, u8)>, field: Field, value: u64, little_endian: bool) {
    for i in 0..field.width {
        let shift = if little_endian {
            8 * i
        } else {
            8 * (field.width - 1 - i)
        };
        writes.push((field.offset + i, (value >> shift) as u8));
    }
}

/// What one input did.
enum Outcome {
    Accepted,
    Rejected(String),
    Panicked(String),
}

thread_local! {
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps the panics of fuzz inputs off stderr (there may be thousands) and remembers where
/// each happened; panics of other tests running on other threads print as usual.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{location}: {message}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Everything dist does with a file's bytes: inspect, and for what it accepts, the checks
/// against every target and floor, the summary and the manifest entry.
fn exercise(bytes: &[u8]) -> Outcome {
    FUZZING.with(|f| f.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| match inspect(bytes) {
        Ok(facts) => {
            for triple in [
                "x86_64-unknown-linux-gnu",
                "x86_64-unknown-linux-musl",
                "aarch64-unknown-linux-gnu",
                "aarch64-unknown-linux-musl",
            ] {
                let target = Target::parse(triple).unwrap();
                for floor in [None, GlibcVersion::parse("2.17").ok()] {
                    let _ = check(&facts, &target, floor);
                }
            }
            let _ = (
                facts.to_string(),
                crate::manifest::Binary::from(&facts),
                facts.linkage(),
            );
            assert_eq!(facts.size, bytes.len() as u64, "size is the file's");
            Ok(())
        }
        Err(e) => {
            let text = format!("{e:#}");
            assert!(
                text.starts_with("malformed ELF: ") || text.starts_with("not an ELF file"),
                "an error that does not say the file is malformed: {text}"
            );
            Err(text)
        }
    }));
    FUZZING.with(|f| f.set(false));
    match result {
        Ok(Ok(())) => Outcome::Accepted,
        Ok(Err(text)) => Outcome::Rejected(text),
        Err(_) => Outcome::Panicked(
            LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "unknown panic".to_string()),
        ),
    }
}

/// A compiler, its arguments before `-o`, after the source, the source, and the seed's name.
type CSeed = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    &'static str,
);

/// Compiles the seeds: one C program per toolchain and linkage the targets can produce, so
/// that every reader (interpreter, DT_NEEDED, version needs, RPATH, both classes and byte
/// orders) has something to read.
fn build_seeds(dir: &Path) -> Vec<Seed> {
    let program = "#include <stdio.h>\n#include <math.h>\n#include <string.h>\n\
        int main(int argc, char **argv) { char b[32]; memcpy(b, argv[0], 8); \
        printf(\"%s %f\\n\", b, sqrt((double)argc)); return 0; }\n";
    let bare = "void _start(void) { for (;;) {} }\n";
    let c_tools: &[CSeed] = &[
        ("gcc", &[], &["-s", "-lm"], program, "gcc-dynamic"),
        // One page of dynamic executable with version needs: what corpus files are cut from.
        (
            "gcc",
            &[],
            &["-s", "-Wl,-z,noseparate-code,-z,now,--build-id=none"],
            "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
            "gcc-tiny",
        ),
        ("gcc", &[], &["-g", "-lm"], program, "gcc-debug"),
        (
            "gcc",
            &[],
            &["-s", "-Wl,-rpath,/opt/lib", "-lm"],
            program,
            "gcc-runpath",
        ),
        (
            "gcc",
            &[],
            &["-s", "-shared", "-fPIC", "-lm"],
            program,
            "gcc-shared",
        ),
        ("gcc", &[], &["-s", "-static", "-lm"], program, "gcc-static"),
        (
            "gcc",
            &[],
            &["-m32", "-nostdlib", "-static", "-s"],
            bare,
            "gcc-i386",
        ),
        (
            "musl-gcc",
            &[],
            &["-s", "-static", "-lm"],
            program,
            "musl-static",
        ),
        (
            "musl-gcc",
            &[],
            &["-s", "-static-pie", "-lm"],
            program,
            "musl-static-pie",
        ),
        (
            "aarch64-linux-gnu-gcc",
            &[],
            &["-s", "-lm"],
            program,
            "aarch64-dynamic",
        ),
        (
            "aarch64-linux-gnu-gcc",
            &[],
            &["-mbig-endian", "-nostdlib", "-static", "-s"],
            bare,
            "aarch64-be",
        ),
        (
            "python3",
            &["-m", "ziglang", "cc", "-target", "x86_64-linux-gnu.2.17"],
            &["-s", "-lm"],
            program,
            "zig-x86_64-glibc-2.17",
        ),
    ];
    let mut seeds = Vec::new();
    for &(tool, before, after, source, name) in c_tools {
        let src = dir.join(format!("{name}.c"));
        std::fs::write(&src, source).unwrap();
        let out = dir.join(name);
        let status = Command::new(tool)
            .args(before)
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .args(after)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e} (`cargo xtask setup` installs it)"));
        assert!(
            status.status.success(),
            "{tool} {name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        seeds.push(Seed::new(name.to_string(), std::fs::read(&out).unwrap()));
    }
    for path in release_binaries() {
        let name = path.display().to_string();
        seeds.push(Seed::new(name, std::fs::read(&path).unwrap()));
    }
    seeds
}

/// The shipped binaries of earlier dist or cargo builds, if any: the inputs that matter most.
fn release_binaries() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    // FUZZ_TARGET_DIR: a target dir where dist ran, when the tests build in another one.
    let target_dirs = ["FUZZ_TARGET_DIR", "CARGO_TARGET_DIR"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .chain([root.join("target")]);
    let mut found = Vec::new();
    let mut candidates = Vec::new();
    for target_dir in target_dirs {
        // dist builds each target in dist-build/<triple>/.
        if let Ok(entries) = std::fs::read_dir(target_dir.join("dist-build")) {
            candidates.extend(entries.flatten().map(|e| e.path()));
        }
        candidates.push(target_dir);
    }
    for base in candidates {
        let Ok(entries) = std::fs::read_dir(&base) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path().join("release/diag_tool");
            if path.is_file() {
                found.push(path);
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

struct Report {
    iterations: u64,
    accepted: u64,
    elapsed: Duration,
    /// Panic location and message → the first input that caused it.
    panics: BTreeMap<String, (u64, PathBuf)>,
    slow: Vec<(u64, Duration, String)>,
    /// Each distinct rejection, numbers masked, and how often it was seen.
    rejections: BTreeMap<String, u64>,
}

struct Run {
    seed: u64,
    iterations: u64,
    deadline: Option<Duration>,
    seeds: Vec<Seed>,
    /// Keep the first input of every distinct rejection from a small seed as a corpus file.
    save_kinds: bool,
}

impl Run {
    /// The input of iteration `i`: a function of the run's seed and `i` alone, so one
    /// iteration replays without the others.
    fn input(&self, i: u64) -> (usize, Mutation) {
        let mut rng = Rng(self.seed ^ i.wrapping_mul(0xd1b5_4a32_d192_ed03));
        let which = rng.below(self.seeds.len());
        (which, mutate(&self.seeds[which], &mut rng))
    }

    fn materialize(&self, i: u64) -> Vec<u8> {
        let (which, m) = self.input(i);
        let mut bytes = self.seeds[which].bytes.clone();
        for &(at, value) in &m.writes {
            bytes[at] = value;
        }
        bytes.truncate(m.len);
        bytes
    }

    fn go(mut self, corpus: &Path, findings: &Path) -> Report {
        install_panic_hook();
        let started = Instant::now();
        // The watchdog: `current` is the start time (ms since `started`) and number of the
        // running input; a hang cannot be caught, so it says how to replay it and aborts.
        let current = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let done = Arc::new(AtomicBool::new(false));
        let watchdog = {
            let (current, done, seed) = (current.clone(), done.clone(), self.seed);
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(200));
                    let since = current.0.load(Ordering::Relaxed);
                    let now = started.elapsed().as_millis() as u64;
                    if now.saturating_sub(since) > HANG.as_millis() as u64 {
                        eprintln!(
                            "fuzz: input {} of seed {seed} runs for more than {HANG:?}: a hang; \
                             replay with FUZZ_SEED={seed} FUZZ_REPLAY={}",
                            current.1.load(Ordering::Relaxed),
                            current.1.load(Ordering::Relaxed)
                        );
                        std::process::abort();
                    }
                }
            })
        };

        let mut report = Report {
            iterations: 0,
            accepted: 0,
            elapsed: Duration::ZERO,
            panics: BTreeMap::new(),
            slow: Vec::new(),
            rejections: BTreeMap::new(),
        };
        let mut last_progress = Instant::now();
        let mut saved_kinds = std::collections::BTreeSet::new();
        for i in 0..self.iterations {
            if self.deadline.is_some_and(|d| started.elapsed() >= d) {
                break;
            }
            let (which, m) = self.input(i);
            let seed = &mut self.seeds[which];
            let saved: Vec<(usize, u8)> = m
                .writes
                .iter()
                .map(|&(at, _)| (at, seed.bytes[at]))
                .collect();
            for &(at, value) in &m.writes {
                seed.bytes[at] = value;
            }
            current
                .0
                .store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            current.1.store(i, Ordering::Relaxed);
            let t = Instant::now();
            let outcome = exercise(&seed.bytes[..m.len]);
            let took = t.elapsed();
            for &(at, value) in saved.iter().rev() {
                seed.bytes[at] = value;
            }
            report.iterations += 1;
            match outcome {
                Outcome::Accepted => report.accepted += 1,
                Outcome::Rejected(text) => {
                    let kind = error_kind(&text);
                    *report.rejections.entry(kind.clone()).or_insert(0) += 1;
                    if self.save_kinds
                        && self.seeds[which].bytes.len() <= 8192
                        && saved_kinds.insert(kind)
                    {
                        save_rejection(corpus, &self.materialize(i), &text);
                    }
                }
                Outcome::Panicked(what) => {
                    if let std::collections::btree_map::Entry::Vacant(entry) =
                        report.panics.entry(what)
                    {
                        let bytes = self.materialize(i);
                        let path = save_finding(&bytes, corpus, findings, entry.key());
                        eprintln!(
                            "fuzz: input {i} ({} bytes, from {}) panics: {}\n      saved as {}",
                            bytes.len(),
                            self.seeds[which].name,
                            entry.key(),
                            path.display()
                        );
                        entry.insert((i, path));
                    }
                }
            }
            if took > SLOW && report.slow.len() < 20 {
                report.slow.push((i, took, self.seeds[which].name.clone()));
            }
            if last_progress.elapsed() > Duration::from_secs(30) {
                last_progress = Instant::now();
                eprintln!(
                    "fuzz: {} inputs, {:.0}/s, {} distinct panics",
                    report.iterations,
                    report.iterations as f64 / started.elapsed().as_secs_f64(),
                    report.panics.len()
                );
            }
        }
        done.store(true, Ordering::Relaxed);
        watchdog.join().unwrap();
        report.elapsed = started.elapsed();
        report
    }
}

/// Small panicking inputs become corpus files; large ones (from release binaries) go to the
/// temp dir, to be reproduced on a small seed before they are committed.
fn save_finding(bytes: &[u8], corpus: &Path, findings: &Path, what: &str) -> PathBuf {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for b in what.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let dir = if bytes.len() <= CORPUS_LIMIT {
        corpus
    } else {
        findings
    };
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("panic-{hash:016x}.elf"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A rejection without its numbers, so that one check failing at different offsets counts once.
fn error_kind(text: &str) -> String {
    // Its detail is the file's first bytes: one kind, however they vary.
    if let Some((kind, _)) = text.split_once(": starts with") {
        return kind.to_string();
    }
    let mut out = String::new();
    let mut in_number = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let hex_prefix = c == '0' && chars.peek() == Some(&'x');
        if c.is_ascii_digit() || (in_number && c.is_ascii_hexdigit()) || hex_prefix {
            if hex_prefix {
                chars.next();
            }
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    // Section names come from the (damaged) file: `.gnu.versi lists ...` is the same finding.
    if let Some(rest) = out.strip_prefix("malformed ELF: ")
        && let Some(at) = rest.find(" lists ").or_else(|| rest.find(" links to "))
        && !rest[..at].contains(' ')
    {
        out = format!("malformed ELF: <section>{}", &rest[at..]);
    }
    // Every segment type takes the same bounds check.
    if let Some(rest) = out.strip_prefix("malformed ELF: segment # (")
        && let Some(close) = rest.find(')')
    {
        out = format!("malformed ELF: segment # (<type>{}", &rest[close..]);
    }
    if let (Some(open), Some(close)) = (out.find("requirements ("), out.find("): ")) {
        let open = open + "requirements (".len();
        if open <= close && &out[open..close] != "DT_VERNEED" {
            out.replace_range(open..close, "<section>");
        }
    }
    out
}

/// Adds a rejected input to the corpus, expecting the same message up to its first number.
fn save_rejection(corpus: &Path, bytes: &[u8], text: &str) {
    let kind = error_kind(text);
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for b in kind.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let name = format!("err-{:08x}.elf", hash as u32);
    std::fs::write(corpus.join(&name), bytes).unwrap();
    let expected: String = text
        .chars()
        .take_while(|c| !c.is_ascii_digit() && *c != '\n')
        .collect();
    let line = format!("{name}: err {}\n", expected.trim_end());
    let list = corpus.join(EXPECTATIONS);
    let mut text = std::fs::read_to_string(&list).unwrap_or_default();
    if !text.contains(&format!("{name}:")) {
        text.push_str(&line);
        std::fs::write(&list, text).unwrap();
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    )
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus")
}

fn fuzz(default_iterations: u64, default_seed: u64) -> Report {
    let seed = env_u64("FUZZ_SEED").unwrap_or(default_seed);
    let scratch = std::env::temp_dir().join(format!("xtask-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let run = Run {
        seed,
        iterations: env_u64("FUZZ_ITERATIONS").unwrap_or(default_iterations),
        deadline: env_u64("FUZZ_SECONDS").map(Duration::from_secs),
        seeds: build_seeds(&scratch),
        save_kinds: std::env::var_os("FUZZ_SAVE_KINDS").is_some(),
    };
    let findings = std::env::temp_dir().join("xtask-fuzz-findings");
    if let Some(i) = env_u64("FUZZ_REPLAY") {
        let bytes = run.materialize(i);
        let path = findings.join(format!("replay-{seed}-{i}.elf"));
        std::fs::create_dir_all(&findings).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        eprintln!(
            "fuzz: input {i} of seed {seed} written to {}",
            path.display()
        );
        let _ = std::fs::remove_dir_all(&scratch);
        return Run {
            iterations: 1,
            seeds: vec![Seed {
                name: "replay".to_string(),
                fields: Vec::new(),
                little_endian: true,
                bytes,
            }],
            ..run
        }
        .go_replay(&corpus_dir(), &findings);
    }
    let names: Vec<String> = run
        .seeds
        .iter()
        .map(|s| format!("{} ({} bytes)", s.name, s.bytes.len()))
        .collect();
    eprintln!("fuzz: seed {seed}, inputs from {}", names.join(", "));
    let report = run.go(&corpus_dir(), &findings);
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "fuzz: {} inputs in {:.1} s ({:.0}/s), {} accepted, {} distinct panics, {} inputs over {SLOW:?}",
        report.iterations,
        report.elapsed.as_secs_f64(),
        report.iterations as f64 / report.elapsed.as_secs_f64(),
        report.accepted,
        report.panics.len(),
        report.slow.len()
    );
    for (what, (i, path)) in &report.panics {
        eprintln!("  panic at input {i}: {what}\n    {}", path.display());
    }
    eprintln!("fuzz: {} distinct rejections:", report.rejections.len());
    for (kind, count) in &report.rejections {
        eprintln!("  {count:>9}  {kind}");
    }
    for (i, took, seed_name) in &report.slow {
        eprintln!("  slow: input {i} (from {seed_name}) took {took:?}");
    }
    report
}

impl Run {
    fn go_replay(self, corpus: &Path, findings: &Path) -> Report {
        install_panic_hook();
        let bytes = &self.seeds[0].bytes;
        let t = Instant::now();
        let mut report = Report {
            iterations: 1,
            accepted: 0,
            elapsed: Duration::ZERO,
            panics: BTreeMap::new(),
            slow: Vec::new(),
            rejections: BTreeMap::new(),
        };
        match exercise(bytes) {
            Outcome::Accepted => report.accepted = 1,
            Outcome::Rejected(text) => eprintln!("{text}"),
            Outcome::Panicked(what) => {
                let path = save_finding(bytes, corpus, findings, &what);
                report.panics.insert(what, (0, path));
            }
        }
        report.elapsed = t.elapsed();
        eprintln!("fuzz: replayed in {:?}", report.elapsed);
        report
    }
}

fn assert_clean(report: &Report) {
    assert!(
        report.panics.is_empty(),
        "the verifier panicked on {} kinds of input: {:#?}",
        report.panics.len(),
        report.panics
    );
}

#[test]
fn mutated_elf_files_never_panic_the_verifier() {
    // A fixed seed: a failure on CI reproduces with the same numbers.
    let report = fuzz(25_000, 0x5eed);
    assert_clean(&report);
}

#[test]
#[ignore = "long fuzzing run: see the module documentation for the command"]
fn fuzz_long() {
    let report = fuzz(1_000_000, 1);
    assert_clean(&report);
}

/// `name: ok` or `name: err <text the error contains>`, one line per corpus file.
const EXPECTATIONS: &str = "expectations.txt";

#[test]
fn every_corpus_file_gives_its_recorded_outcome() {
    install_panic_hook();
    let dir = corpus_dir();
    let text = std::fs::read_to_string(dir.join(EXPECTATIONS)).unwrap();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (name, outcome) = line.split_once(": ").unwrap_or_else(|| panic!("{line}"));
        expected.insert(name.to_string(), outcome.to_string());
    }
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != EXPECTATIONS && !name.ends_with(".md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    for name in &files {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert!(
            bytes.len() <= CORPUS_LIMIT,
            "{name} is {} bytes: reproduce it on a small C seed",
            bytes.len()
        );
        let outcome = expected
            .get(name)
            .unwrap_or_else(|| panic!("{name} has no line in {EXPECTATIONS}"));
        if let Outcome::Panicked(what) = exercise(&bytes) {
            panic!("{name}: {what}");
        }
        match (outcome.as_str(), inspect(&bytes)) {
            ("ok", Ok(_)) => {}
            (want, Err(e)) if want.starts_with("err ") => {
                let text = format!("{e:#}");
                assert!(text.contains(&want[4..]), "{name}: {text}");
            }
            (want, got) => panic!("{name}: expected {want}, got {:?}", got.map(|_| "ok")),
        }
    }
    let stale: Vec<&String> = expected.keys().filter(|n| !files.contains(n)).collect();
    assert!(
        stale.is_empty(),
        "{EXPECTATIONS} names missing files: {stale:?}"
    );
}
