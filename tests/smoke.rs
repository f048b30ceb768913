//! The real binary: starts on a free port, answers health, stops cleanly on
//! SIGTERM; refuses bad fixtures with one line and exit code 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_leadsim");

/// A leadsim process on an OS-chosen port, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "leadsim=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("leadsim starts");
        // The startup line names the bound address: read it instead of racing for a port.
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = loop {
            assert!(Instant::now() < deadline, "no startup line");
            let line = lines.next().expect("startup line").expect("utf-8");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, address }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn binary_serves_health_and_stops_on_sigterm() {
    let mut server = Server::start(&["--seed", "7", "--now", "2020-01-01T08:15:00Z"]);
    let (status, body) = server.get("/__admin/health");
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["seed"], 7);
    assert_eq!(health["clock"]["now"], "2020-01-01T08:15:00Z");

    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "graceful exit, got {exit}");
}

#[test]
fn env_twins_configure_the_binary() {
    let output = Command::new(BIN)
        .env("LEADSIM_NOW", "not-a-time")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "clap's usage error code");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'not-a-time' is not an RFC 3339 timestamp"),
        "{stderr}"
    );
}

fn temp_fixtures(name: &str, file: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leadsim-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
    dir
}

#[test]
fn malformed_fixture_gives_one_line_naming_file_and_field_and_exit_2() {
    let dir = temp_fixtures(
        "bad",
        "engine.json",
        r#"{"companies":[{"name":"A","uuid":"not-a-uuid","confidentialToken":"c","publishableToken":"p"}]}"#,
    );
    let output = Command::new(BIN).arg("--fixtures").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let expected_file = dir.join("engine.json").display().to_string();
    assert!(
        lines[0].starts_with(&format!(
            "leadsim: bad fixtures: {expected_file}: companies[0].uuid: "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn semantically_invalid_fixture_is_refused_too() {
    let dir = temp_fixtures(
        "dup",
        "engine.json",
        r#"{"companies":[
            {"name":"A","uuid":"3f1a6c2e-8b4d-4e7a-9c21-5d0b7e9f4a10","confidentialToken":"same","publishableToken":"p1"},
            {"name":"B","uuid":"9b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90","confidentialToken":"same","publishableToken":"p2"}]}"#,
    );
    let output = Command::new(BIN).arg("--fixtures").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("companies[1].confidentialToken: token 'same' is used twice"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn fixtures_dir_must_exist() {
    let output = Command::new(BIN)
        .args(["--fixtures", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("/definitely/not/here: .: the fixtures directory does not exist")
    );
}
