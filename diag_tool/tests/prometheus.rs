//! `report --format prometheus` and `--textfile` judged by `promtool check metrics` and a real
//! node_exporter's textfile collector; missing tools fail with the command that installs them.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL: &str = "apt-get install prometheus prometheus-node-exporter";

fn test_area() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../TestArea")
}

fn machines() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(test_area())
        .expect("TestArea directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn run(args: &[&str]) -> (String, u8) {
    let mut out = Vec::new();
    let code = diag_tool::run(std::iter::once("diag_tool").chain(args.iter().copied()), &mut out);
    (String::from_utf8(out).expect("UTF-8"), code)
}

fn metrics(machine: &Path) -> String {
    let root = machine.to_str().expect("UTF-8 path");
    let (text, code) = run(&["report", "--format", "prometheus", "--root", root]);
    assert_eq!(code, 0, "{}", machine.display());
    text
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("diag_tool-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn promtool_finds_no_problem_in_any_fixture() {
    for machine in machines() {
        let text = metrics(&machine);
        let mut child = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run promtool ({e}): {INSTALL}"));
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("feed promtool");
        let output = child.wait_with_output().expect("promtool runs");
        let said = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && said.trim().is_empty(),
            "promtool on {}: {said}",
            machine.display()
        );
    }
}

#[test]
fn textfile_is_the_prometheus_report_and_leaves_no_temporary_file() {
    let dir = Scratch::new("textfile");
    let machine = test_area().join("degraded");
    let root = machine.to_str().unwrap();
    std::fs::write(dir.0.join("diag_tool.prom"), "stale\n").unwrap();
    let (out, code) = run(&["report", "--textfile", dir.0.to_str().unwrap(), "--root", root]);
    assert_eq!((out.as_str(), code), ("", 0));
    let written = std::fs::read_to_string(dir.0.join("diag_tool.prom")).unwrap();
    assert_eq!(written, metrics(&machine));
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["diag_tool.prom"]);
}

#[test]
fn a_failed_textfile_write_leaves_no_partial_file() {
    let dir = Scratch::new("textfile-fail");
    let machine = test_area().join("x86_64-2socket");
    let root = machine.to_str().unwrap();
    // The rename cannot replace a non-empty directory: the write fails at its last step.
    std::fs::create_dir_all(dir.0.join("diag_tool.prom/keep")).unwrap();
    let (out, code) = run(&["report", "--textfile", dir.0.to_str().unwrap(), "--root", root]);
    assert_eq!((out.as_str(), code), ("", 3));
    assert!(dir.0.join("diag_tool.prom/keep").is_dir());
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["diag_tool.prom"], "a temporary file was left behind");
    let missing = dir.0.join("no/such/dir");
    let (_, code) = run(&["report", "--textfile", missing.to_str().unwrap(), "--root", root]);
    assert_eq!(code, 3);
    assert!(!missing.exists());
    let output =
        common::run_binary(&["report", "--textfile", missing.to_str().unwrap(), "--root", root]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(stderr.contains("diag_tool.prom: no such file or directory"), "{stderr}");
}

/// One sample as `(name, sorted labels, value)`, so that two exporters' spellings compare:
/// node_exporter sorts labels and prints `4.8e+11` where we print `480000000000`.
type Sample = (String, Vec<(String, String)>, String);

fn number(value: &str) -> String {
    match value.trim().parse::<f64>() {
        Ok(v) => v.to_string(),
        Err(_) => panic!("not a sample value: {value:?}"),
    }
}

/// Sample lines of the text exposition format; comments are skipped.
fn samples(text: &str) -> BTreeSet<Sample> {
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (name, rest) = match line.find('{') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => {
                let (name, value) = line.split_once(' ').expect("name value");
                out.insert((name.to_string(), vec![], number(value)));
                continue;
            }
        };
        let mut labels = Vec::new();
        let mut chars = rest.chars();
        loop {
            let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
            assert_eq!(chars.next(), Some('"'), "{line}");
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.push(chars.next().expect("escaped character")),
                    '"' => break,
                    c => value.push(c),
                }
            }
            // An empty label is no label to Prometheus; node_exporter fills in the label
            // names a family's other samples have with empty values.
            if !value.is_empty() {
                labels.push((key.trim_start_matches(',').to_string(), value));
            }
            match chars.next() {
                Some(',') => {
                    if chars.clone().next() == Some('}') {
                        chars.next();
                        break;
                    }
                }
                Some('}') => break,
                other => panic!("unexpected {other:?} in {line}"),
            }
        }
        labels.sort();
        out.insert((name.to_string(), labels, number(chars.as_str())));
    }
    out
}

struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get_metrics(port: u16) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // Go's server sends a body without Content-Length in chunks.
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut text = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
            if size == 0 {
                break;
            }
            text.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        return Ok(text);
    }
    Ok(body.to_string())
}

#[test]
fn node_exporter_serves_our_series_from_the_textfile_directory() {
    let dir = Scratch::new("node-exporter");
    let machine = test_area().join("degraded");
    let (_, code) = run(&[
        "report",
        "--textfile",
        dir.0.to_str().unwrap(),
        "--root",
        machine.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let port =
        TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let child = Command::new("prometheus-node-exporter")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--collector.disable-defaults")
        .arg("--collector.textfile")
        .arg(format!("--collector.textfile.directory={}", dir.0.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run prometheus-node-exporter ({e}): {INSTALL}"));
    let _exporter = Exporter(child);
    let started = Instant::now();
    let scraped = loop {
        match get_metrics(port) {
            Ok(text) => break text,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("node_exporter did not answer on 127.0.0.1:{port}: {e}"),
        }
    };
    let served = samples(&scraped);
    assert!(
        served.contains(&("node_textfile_scrape_error".into(), vec![], "0".into())),
        "node_exporter could not read our file:\n{scraped}"
    );
    let ours = samples(&metrics(&machine));
    let missing: Vec<&Sample> = ours.difference(&served).collect();
    assert!(missing.is_empty(), "not served: {missing:?}");
    assert!(ours.contains(&("diag_check_status".into(), vec![], "2".into())));
}

#[test]
fn the_sample_parser_reads_escapes_and_sorts_labels() {
    let parsed = samples("# HELP x y\nx{b=\"a\\\"b\",a=\"c,d\"} 1\ny 2\n");
    assert!(parsed.contains(&(
        "x".into(),
        vec![("a".into(), "c,d".into()), ("b".into(), "a\"b".into())],
        "1".into()
    )));
    assert!(parsed.contains(&("y".into(), vec![], "2".into())));
}
