//! Hostile input, one test per class of attack or fault, each reproduced in a scratch
//! directory: links out of `--root`, links planted where `--textfile` writes, FIFOs and huge
//! files where kernel files should be, messages that name an errno by number, and kills at
//! any moment of a `--textfile` write. Every read test runs with both resolvers: the
//! kernel's `openat2` and the user-space walk used where the kernel has none.

mod common;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the files outside the root hold; no output may ever show it.
const MARKER: &str = "HOST-SECRET-7f3a";

/// The variable that makes diag_tool resolve paths in user space (`root::WALK_ENV`).
const WALK_ENV: &str = "DIAG_TOOL_NO_OPENAT2";

/// Both resolvers: `None` lets the kernel resolve, `Some` forces the user-space walk.
const RESOLVERS: [Option<&str>; 2] = [None, Some(WALK_ENV)];

fn test_area() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../TestArea")
}

fn diag_tool(args: &[&str], walk: Option<&str>) -> Command {
    let mut command = common::binary_command();
    command.args(args);
    match walk {
        Some(var) => command.env(var, "1"),
        None => command.env_remove(WALK_ENV),
    };
    command
}

/// Runs to the end, or fails the test if it does not end within a minute: a hang is a bug.
fn run(command: Command) -> Output {
    run_within(command, Duration::from_secs(60))
        .unwrap_or_else(|command| panic!("diag_tool hangs: {command}"))
}

/// Runs to the end, or kills it after `limit` and gives the command line as the error.
fn run_within(mut command: Command, limit: Duration) -> Result<Output, String> {
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("diag_tool runs");
    // Drained while it runs, so that a full pipe never stalls it.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{command:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(Output {
        status,
        stdout: stdout.join().expect("stdout read"),
        stderr: stderr.join().expect("stderr read"),
    })
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0, "mkfifo {path:?}");
}

fn link(target: impl AsRef<Path>, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    symlink(target, at).unwrap();
}

/// A host's worth of files holding the marker, next to a root whose links all lead there,
/// by absolute paths and by `..` past the root, plus one honest sysfs-style link.
fn escaping_tree(scratch: &Path) -> PathBuf {
    let outside = scratch.join("outside");
    write(&outside.join("os-release"), &format!("PRETTY_NAME=\"{MARKER}\"\n"));
    write(&outside.join("hostname"), &format!("{MARKER}\n"));
    write(
        &outside.join("proc/cpuinfo"),
        &format!(
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: {MARKER}\nflags\t\t: lm\n\n"
        ),
    );
    write(&outside.join("proc/meminfo"), "MemTotal:       4242424242 kB\n");
    write(&outside.join("dmi/sys_vendor"), &format!("{MARKER}\n"));
    write(&outside.join("net/marker0/operstate"), "up\n");
    write(&outside.join(format!("net/{MARKER}/operstate")), "up\n");
    write(&outside.join("hwmon0/name"), &format!("{MARKER}\n"));
    write(&outside.join("hwmon0/temp1_input"), "99000\n");

    let root = scratch.join("root");
    link(outside.join("os-release"), &root.join("etc/os-release"));
    link("../../../../../outside/hostname", &root.join("proc/sys/kernel/hostname"));
    link("../../outside/hostname", &root.join("etc/hostname"));
    link("../outside/proc/cpuinfo", &root.join("proc/cpuinfo"));
    link(outside.join("proc/meminfo"), &root.join("proc/meminfo"));
    link(outside.join("dmi"), &root.join("sys/class/dmi/id"));
    link("../../../outside/net", &root.join("sys/class/net"));
    link("/../../../..", &root.join("sys/class/hwmon/hwmon0"));
    link(outside.join("hwmon0"), &root.join("sys/class/hwmon/hwmon1"));
    // An honest link inside the tree, as sysfs has them: it must keep working.
    write(&root.join("sys/devices/virtual/thermal/thermal_zone0/temp"), "42000\n");
    link(
        "../../devices/virtual/thermal/thermal_zone0",
        &root.join("sys/class/thermal/thermal_zone0"),
    );
    root
}

#[test]
fn links_out_of_the_root_never_show_what_they_point_to() {
    let scratch = tempfile::tempdir().unwrap();
    let root = escaping_tree(scratch.path());
    let root_arg = root.to_str().unwrap();
    let textfile = scratch.path().join("textfile");
    std::fs::create_dir(&textfile).unwrap();
    for walk in RESOLVERS {
        for args in [
            &["report"][..],
            &["report", "--json"],
            &["report", "--format", "prometheus"],
            &["check"],
            &["report", "--textfile", textfile.to_str().unwrap()],
        ] {
            let mut argv = args.to_vec();
            argv.extend(["--root", root_arg]);
            let output = run(diag_tool(&argv, walk));
            let said = text(&output);
            assert!(!said.contains(MARKER), "{args:?} ({walk:?}) shows a host file:\n{said}");
            assert!(!said.contains("4242424242"), "{args:?} ({walk:?}):\n{said}");
            assert!(!said.contains("panicked"), "{said}");
        }
        let written = std::fs::read_to_string(textfile.join("diag_tool.prom")).unwrap();
        assert!(!written.contains(MARKER), "{written}");
        assert!(!written.contains("marker0"), "{written}");

        let json = text(&run(diag_tool(&["report", "--json", "--root", root_arg], walk)));
        // The honest link is followed; the escaping ones dangle inside the root.
        assert!(json.contains("\"millicelsius\": 42000"), "{json}");
        assert!(
            json.contains("\"path\": \"etc/os-release\",\n      \"reason\": \"dangling symlink\""),
            "{json}"
        );
        assert!(!json.contains("marker0"), "{json}");
    }
}

#[test]
fn every_golden_output_is_the_same_with_the_user_space_resolver() {
    let machines = std::fs::read_dir(test_area()).unwrap();
    for dir in machines.map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
        let machine = dir.file_name().unwrap().to_string_lossy().into_owned();
        let root = dir.to_str().unwrap();
        for (file, args) in [
            ("report.json", &["report", "--json"][..]),
            ("report.txt", &["report"]),
            ("report.prom", &["report", "--format", "prometheus"]),
            ("check.txt", &["check"]),
        ] {
            let mut argv = args.to_vec();
            argv.extend(["--root", root]);
            let output = run(diag_tool(&argv, Some(WALK_ENV)));
            let expected = std::fs::read_to_string(dir.join("expected").join(file)).unwrap();
            assert_eq!(String::from_utf8_lossy(&output.stdout), expected, "{machine}/{file}");
        }
    }
}

#[test]
fn a_link_where_the_textfile_is_written_is_replaced_never_written_through() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let victim = scratch.path().join("victim");
    let other = scratch.path().join("other");
    std::fs::write(&victim, "untouched\n").unwrap();
    std::fs::write(&other, "untouched too\n").unwrap();
    // The temporary name of earlier versions, for this very process, and the final name.
    symlink(&victim, dir.join(format!(".diag_tool.prom.{}.tmp", std::process::id()))).unwrap();
    symlink(&other, dir.join("diag_tool.prom")).unwrap();
    let machine = test_area().join("degraded");
    let mut out = Vec::new();
    let code = diag_tool::run(
        [
            "diag_tool",
            "report",
            "--textfile",
            dir.to_str().unwrap(),
            "--root",
            machine.to_str().unwrap(),
        ],
        &mut out,
    );
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "untouched too\n");
    let written = dir.join("diag_tool.prom");
    let meta = std::fs::symlink_metadata(&written).unwrap();
    assert!(meta.is_file(), "the link at the final name is replaced by the file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let expected = std::fs::read_to_string(machine.join("expected/report.prom")).unwrap();
    assert_eq!(std::fs::read_to_string(&written).unwrap(), expected);
}

#[test]
fn fifos_huge_files_and_huge_directories_become_warnings_without_hanging() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("root");
    std::fs::create_dir_all(root.join("proc")).unwrap();
    std::fs::create_dir_all(root.join("sys/class")).unwrap();
    // Read, a FIFO would block forever; listed, a FIFO is not a directory.
    mkfifo(&root.join("proc/cpuinfo"));
    mkfifo(&root.join("sys/class/net"));
    // A sparse file of 9 MiB where meminfo should be, and a 1 MiB one-value file.
    let huge = std::fs::File::create(root.join("proc/meminfo")).unwrap();
    huge.set_len(9 << 20).unwrap();
    write(&root.join("sys/class/dmi/id/sys_vendor"), &"x".repeat(1 << 20));
    // More entries than one directory is listed for.
    // (NVMe controllers are listed once; hwmon, listed for temperatures and fans, twice.)
    let many = root.join("sys/class/nvme");
    std::fs::create_dir_all(&many).unwrap();
    for n in 0..=(1 << 16) {
        std::fs::File::create(many.join(format!("f{n}"))).unwrap();
    }
    for walk in RESOLVERS {
        // 65536 names to sort take long under an emulator: a hang is still caught.
        let command = diag_tool(&["report", "--json", "--root", root.to_str().unwrap()], walk);
        let output = run_within(command, Duration::from_secs(300))
            .unwrap_or_else(|command| panic!("diag_tool hangs: {command}"));
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let json = String::from_utf8_lossy(&output.stdout);
        for (path, reason) in [
            ("proc/cpuinfo", "not a regular file"),
            ("sys/class/net", "not a directory"),
            ("proc/meminfo", "larger than 8388608 bytes, not read"),
            ("sys/class/dmi/id/sys_vendor", "larger than 65536 bytes, not read"),
            ("sys/class/nvme", "more than 65536 entries, the rest left out"),
        ] {
            let warning = format!("\"path\": \"{path}\",\n      \"reason\": \"{reason}\"");
            assert!(json.contains(&warning), "{walk:?} missing {warning}:\n{json}");
        }
    }
}

/// Swaps each of `inputs` between a regular file and a FIFO, as fast as it can, until
/// `stop` is set.
fn swap_with_fifo(
    inputs: Vec<PathBuf>,
    file: PathBuf,
    fifo: PathBuf,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let spare = fifo.with_extension("spare");
    std::thread::spawn(move || {
        for turn in 0.. {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            for (i, input) in inputs.iter().enumerate() {
                let source = if (i + turn) % 2 == 0 { &fifo } else { &file };
                let _ = std::fs::remove_file(&spare);
                if std::fs::hard_link(source, &spare).is_ok() {
                    let _ = std::fs::rename(&spare, input);
                }
            }
        }
    })
}

#[test]
fn files_swapped_for_fifos_while_the_tool_runs_never_block_it() {
    let scratch = tempfile::tempdir().unwrap();
    let hwmon = scratch.path().join("root/sys/class/hwmon/hwmon0");
    write(&hwmon.join("name"), "coretemp\n");
    let (fifo, file) = (scratch.path().join("fifo"), scratch.path().join("file"));
    mkfifo(&fifo);
    write(&file, "45000\n");
    let inputs: Vec<PathBuf> = (1..=64).map(|n| hwmon.join(format!("temp{n}_input"))).collect();
    for input in &inputs {
        std::fs::hard_link(&file, input).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = swap_with_fifo(inputs, file, fifo.clone(), stop.clone());
    // The window between looking at a file and opening it is microseconds wide; strace
    // widens it by delaying every open by a millisecond, which made the unguarded reader
    // of earlier versions hang on every run. Without strace the race is only likelier.
    let strace =
        Path::new("/usr/bin/strace").exists() && std::env::var_os("TARGET_RUNNER").is_none();
    if !strace {
        eprintln!("note: no strace here, files are swapped without widening the race window");
    }
    let root = scratch.path().join("root");
    let mut hung = None;
    for round in 0..6 {
        let walk = RESOLVERS[round % 2];
        let args = ["check", "--root", root.to_str().unwrap()];
        let command = if strace {
            let mut command = Command::new("/usr/bin/strace");
            command
                .args(["-f", "-o", "/dev/null", "-e", "trace=openat,openat2"])
                .args(["-e", "inject=openat,openat2:delay_enter=1000"])
                .arg(env!("CARGO_BIN_EXE_diag_tool"))
                .args(args);
            if walk.is_some() {
                command.env(WALK_ENV, "1");
            } else {
                command.env_remove(WALK_ENV);
            }
            command
        } else {
            diag_tool(&args, walk)
        };
        match run_within(command, Duration::from_secs(30)) {
            Ok(output) => assert!(!text(&output).contains("panicked"), "{}", text(&output)),
            Err(command) => {
                hung = Some(command);
                break;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    // A reader stuck on the FIFO gets its end of file and goes away.
    let _ = std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&fifo);
    assert!(hung.is_none(), "diag_tool blocks on a FIFO: {hung:?}");
}

/// `sh -c SCRIPT` in new user and mount namespaces, where a tmpfs can be mounted; `None`
/// where the kernel or the sandbox allows no user namespaces.
fn in_namespace(script: &str, args: &[&str]) -> Option<Output> {
    // The script runs the binary itself, which a foreign target's emulator would have to.
    if std::env::var_os("TARGET_RUNNER").is_some() {
        return None;
    }
    let probe = Command::new("unshare").args(["-rm", "true"]).stderr(Stdio::null()).status();
    if !probe.is_ok_and(|s| s.success()) {
        return None;
    }
    let mut command = Command::new("unshare");
    command.args(["-rm", "sh", "-c", script, "sh"]).args(args);
    Some(run(command))
}

#[test]
fn textfile_errors_name_the_errno_in_words_and_what_to_do() {
    let scratch = tempfile::tempdir().unwrap();
    let machine = test_area().join("x86_64-2socket");
    let root = machine.to_str().unwrap();
    let file = scratch.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let mut cases = vec![
        (
            file.to_str().unwrap().to_string(),
            "a path component is not a directory; --textfile takes a directory",
        ),
        (
            scratch.path().join("missing").to_str().unwrap().to_string(),
            "no such file or directory; create the directory",
        ),
    ];
    // sysfs lets nobody, root included, create files.
    if Path::new("/sys/kernel").is_dir() {
        cases.push((
            "/sys".to_string(),
            "permission denied; run diag_tool as a user that may write to that directory",
        ));
    }
    for (dir, message) in cases {
        let output = run(diag_tool(&["report", "--textfile", &dir, "--root", root], None));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(message), "{dir}: {stderr}");
        assert!(!stderr.contains("errno"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }

    // A read-only and a full file system, mounted in a namespace of the test's own.
    let mount = scratch.path().join("mnt");
    std::fs::create_dir(&mount).unwrap();
    let binary = env!("CARGO_BIN_EXE_diag_tool");
    for (options, message) in [
        ("ro", "read-only file system; give --textfile a directory on a writable file system"),
        ("size=4k", "no space left on device; free some space on that file system"),
    ] {
        let script = format!(
            "mount -t tmpfs -o {options} none \"$1\" || exit 99; \
             \"$2\" report --textfile \"$1\" --root \"$3\"; echo \"exit $?\"; ls -A \"$1\""
        );
        let mount_arg = mount.to_str().unwrap();
        let Some(output) = in_namespace(&script, &[mount_arg, binary, root]) else {
            eprintln!(
                "note: no user namespaces here (or an emulated target), the {options} file system case is skipped"
            );
            return;
        };
        let said = String::from_utf8_lossy(&output.stdout);
        if output.status.code() == Some(99) {
            let stderr = String::from_utf8_lossy(&output.stderr);
            eprintln!("note: cannot mount a tmpfs here, the {options} case is skipped: {stderr}");
            return;
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{options}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(said.contains("exit 3"), "{options}: {said}");
        // Nothing is left behind: neither the final file nor a temporary one.
        let listed: Vec<&str> =
            said.lines().skip_while(|l| !l.starts_with("exit")).skip(1).collect();
        assert!(listed.is_empty(), "{options}: left {listed:?}");
    }
}

/// A small random number generator seeded by the operating system.
struct Random(u64);

impl Random {
    fn new() -> Random {
        Random(RandomState::new().build_hasher().finish() | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
fn kills_at_random_moments_leave_a_whole_prom_file_or_none() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let machines = ["degraded", "x86_64-2socket"].map(|m| test_area().join(m));
    let expected =
        machines.clone().map(|m| std::fs::read_to_string(m.join("expected/report.prom")).unwrap());
    let command = |machine: &Path| {
        diag_tool(
            &["report", "--textfile", dir.to_str().unwrap(), "--root", machine.to_str().unwrap()],
            None,
        )
    };
    // How long one whole run takes, so that the kills land before, during and after.
    let started = Instant::now();
    assert!(run(command(&machines[0])).status.success());
    let whole = started.elapsed();
    std::fs::remove_file(dir.join("diag_tool.prom")).unwrap();

    let mut random = Random::new();
    let (mut kills, mut written, mut rounds) = (0, 0, 0);
    for round in 0..400 {
        if kills == 25 {
            break;
        }
        rounds += 1;
        let mut child = command(&machines[round % 2])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = random.below(whole.as_micros() as u64 * 5 / 4);
        std::thread::sleep(Duration::from_micros(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name == "diag_tool.prom" {
                continue;
            }
            // Killed runs may leave their temporary file, which the collector ignores.
            assert!(
                name.starts_with(".diag_tool.prom.") && name.ends_with(".tmp"),
                "round {round}: stray file {name}"
            );
        }
        match std::fs::read_to_string(dir.join("diag_tool.prom")) {
            Ok(content) => {
                assert!(
                    expected.contains(&content),
                    "round {round}: diag_tool.prom is not a whole report ({} bytes)",
                    content.len()
                );
                written += 1;
            }
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "round {round}"),
        }
    }
    eprintln!("{kills} runs killed; diag_tool.prom whole after {written} of {rounds} rounds");
    assert!(kills >= 20, "only {kills} runs were killed in {rounds} rounds");

    let prom = dir.join("diag_tool.prom");
    if !prom.exists() {
        return;
    }
    if !Path::new("/usr/bin/promtool").exists() {
        eprintln!(
            "note: promtool is not installed (Debian: apt-get install prometheus); the promtool check is skipped"
        );
        return;
    }
    let mut child = Command::new("/usr/bin/promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&prom).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    child.stdout.take().unwrap().read_to_string(&mut said).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut said).unwrap();
    assert!(child.wait().unwrap().success(), "promtool: {said}");
    assert!(said.trim().is_empty(), "promtool: {said}");
}
