//! cargo-binstall 1.15, the real client of `[package.metadata.binstall]`, installs from local
//! releases named as xtask names them: archives written for tables of real projects' shapes,
//! and a fork's own `cargo xtask dist` of a package whose table names its archives
//! `<name>-v<version>-<target>.tar.gz`. It downloads over HTTPS only, so the release is served
//! on 127.0.0.1 with a throwaway CA (openssl) that `SSL_CERT_FILE` names.
//!
//! Ignored by `cargo test`: it needs `cargo install cargo-binstall --version 1.15.0 --locked`
//! (about 6 minutes) and builds one release binary. `.ci/run` runs it.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use xtask::config::binstall::{Binstall, Vars};
use xtask::config::names::ReleaseNames;
use xtask::config::target::Target;
use xtask::formats::archive::{self, ArchiveFile};

fn run(dir: &Path, program: &str, args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).env("SOURCE_DATE_EPOCH", "1700000000");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// An HTTPS server on 127.0.0.1 answering every path with the file of the same last segment in
/// its directory: what binstall downloads is decided by the file name alone, which is what
/// xtask names. Stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    ca: PathBuf,
}

const SERVER: &str = r#"
import http.server, os, ssl, sys
root, cert, key = sys.argv[1:]
class Handler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):
        return os.path.join(root, path.split("?")[0].rsplit("/", 1)[-1])
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, address):
        pass  # binstall closes probes early; a failure shows in the test as a missing install
server = Server(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

impl Server {
    fn start(root: &Path, scratch: &Path) -> Server {
        let openssl = |args: &[&str]| run(scratch, "openssl", args, &[]);
        std::fs::write(
            scratch.join("ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=throwaway test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "ext",
            "-out",
            "server.pem",
        ]);
        let mut child = Command::new("python3")
            .args(["-c", SERVER])
            .arg(root)
            .args([scratch.join("server.pem"), scratch.join("server.key")])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is needed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().expect("the server prints its port");
        Server { child, port, ca: scratch.join("ca.pem") }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo binstall` of the crate at `manifest_dir` for `target`, from its own metadata only, into
/// `root`; returns the installed binary's bytes.
fn binstall(
    server: &Server,
    manifest_dir: &Path,
    name: &str,
    target: &str,
    root: &Path,
) -> Vec<u8> {
    let args = [
        "binstall",
        "--manifest-path",
        manifest_dir.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--targets",
        target,
        "--disable-strategies",
        "compile,quick-install",
        "--no-discover-github-token",
        "--no-confirm",
        "--no-track",
        name,
    ];
    run(manifest_dir, "cargo", &args, &[("SSL_CERT_FILE", &server.ca)]);
    std::fs::read(root.join("bin").join(name)).expect("binstall installed the binary")
}

/// The text of `[package.metadata.binstall]` in `Cargo.toml`, to put under that header of
/// another one: its `[overrides.<target>]` tables go under it.
fn table_text(file: &str) -> String {
    std::fs::read_to_string(common::root().join("xtask/tests/binstall").join(file))
        .unwrap()
        .replace("[overrides.", "[package.metadata.binstall.overrides.")
}

/// The template's own table, as `diag_tool/Cargo.toml` declares it (the last table there).
fn template_table() -> String {
    let text = std::fs::read_to_string(common::root().join("diag_tool/Cargo.toml")).unwrap();
    let (_, table) = text.split_once("[package.metadata.binstall]\n").unwrap();
    assert!(!table.contains("\n["), "another table follows:\n{table}");
    table.to_string()
}

#[test]
#[ignore = "needs cargo-binstall 1.15.0 (cargo install cargo-binstall --version 1.15.0 --locked)"]
fn binstall_installs_the_archives_xtask_names_for_real_tables() {
    let scratch = tempfile::tempdir().unwrap();
    let release = scratch.path().join("release");
    let server = Server::start(&release, scratch.path());
    let repo = format!("https://127.0.0.1:{}/owner/tool", server.port);
    let cases = [
        ("published", table_text("published.toml"), "x86_64-unknown-linux-gnu"),
        ("template", template_table(), "x86_64-unknown-linux-gnu"),
        ("overrides", table_text("overrides.toml"), "x86_64-unknown-linux-gnu"),
        ("overridden", table_text("overrides.toml"), "x86_64-unknown-linux-musl"),
    ];
    for (label, table, triple) in cases {
        let _ = std::fs::remove_dir_all(&release);
        std::fs::create_dir_all(&release).unwrap();
        let krate = scratch.path().join(label);
        std::fs::create_dir_all(&krate).unwrap();
        let manifest = format!(
            "[package]\nname = \"tool\"\nversion = \"1.2.3\"\nedition = \"2021\"\n\
             repository = \"{repo}\"\n\n[[bin]]\nname = \"tool\"\npath = \"main.rs\"\n\n\
             [package.metadata.binstall]\n{table}"
        );
        std::fs::write(krate.join("Cargo.toml"), &manifest).unwrap();
        std::fs::write(krate.join("main.rs"), "fn main() {}\n").unwrap();
        let parsed: toml::Table = toml::from_str(&manifest).unwrap();
        let table: Binstall = parsed["package"]["metadata"]["binstall"].clone().try_into().unwrap();
        let target = Target::parse(triple).unwrap();
        let vars = Vars {
            name: "tool",
            version: "1.2.3",
            bin: "tool",
            repo: Some(&repo),
            target: &target,
        };
        let names = ReleaseNames::new(Some(&table), &vars).unwrap();
        let script = format!("#!/bin/sh\necho {label}\n");
        std::fs::write(scratch.path().join("tool"), &script).unwrap();
        let files = [ArchiveFile {
            name: "tool".into(),
            source: scratch.path().join("tool"),
            executable: true,
        }];
        archive::write_archive(&release, &names, &files, 1_700_000_000).unwrap();
        let root = scratch.path().join(format!("root-{label}"));
        let installed = binstall(&server, &krate, "tool", triple, &root);
        assert_eq!(installed, script.as_bytes(), "{label} on {triple}: {names:?}");
    }
}

const PUBLISHED_TARGET: &str = "x86_64-unknown-linux-musl";

#[test]
#[ignore = "needs cargo-binstall 1.15.0 and builds a release binary; .ci/run runs it"]
fn a_fork_with_published_names_is_installed_by_binstall_from_its_own_dist() {
    let scratch = tempfile::tempdir().unwrap();
    let fork = scratch.path().join("fork");
    common::copy_checkout(common::root(), &fork);
    let release = scratch.path().join("release");
    std::fs::create_dir_all(&release).unwrap();
    let server = Server::start(&release, scratch.path());

    // The package's own table, as it published releases before, and where it publishes them.
    let package = fork.join("diag_tool/Cargo.toml");
    let text = std::fs::read_to_string(&package).unwrap();
    let (head, _) = text.split_once("[package.metadata.binstall]\n").unwrap();
    let repo = format!("https://127.0.0.1:{}/owner/diag_tool", server.port);
    let head = head.replacen("\nversion = ", &format!("\nrepository = \"{repo}\"\nversion = "), 1);
    let table = table_text("published.toml");
    std::fs::write(&package, format!("{head}[package.metadata.binstall]\n{table}")).unwrap();

    let target_dir = fork.join("target");
    let env = [("CARGO_TARGET_DIR", target_dir.as_path())];
    let out = release.to_str().unwrap();
    let dist = ["xtask", "dist", "--target", PUBLISHED_TARGET, "--out-dir", out];
    run(&fork, "cargo", &dist, &env);
    run(&release, "sha256sum", &["--check", "--strict", "SHA256SUMS"], &[]);
    let stem = format!("diag_tool-v0.1.0-{PUBLISHED_TARGET}");
    let listing = run(&release, "tar", &["-tzf", &format!("{stem}.tar.gz")], &[]);
    assert!(listing.lines().any(|l| l == format!("{stem}/diag_tool")), "{listing}");
    assert!(release.join(format!("{stem}.cdx.json")).exists());

    let root = scratch.path().join("root");
    let crate_dir = fork.join("diag_tool");
    binstall(&server, &crate_dir, "diag_tool", PUBLISHED_TARGET, &root);
    let binary = root.join("bin/diag_tool");
    let version = run(scratch.path(), binary.to_str().unwrap(), &["--version"], &[]);
    assert_eq!(version.trim(), "diag_tool 0.1.0");
    let after = std::fs::read_to_string(&package).unwrap();
    assert!(after.ends_with(&table), "the package's table was changed:\n{after}");
}
