//! The real binary: starts on a free port, answers health, stops cleanly on
//! SIGTERM; refuses bad fixtures with one line and exit code 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_leadsim");

/// A leadsim process on an OS-chosen port, killed when dropped.
struct Server {
    child: Child,
    address: String,
    /// Every line it wrote to stderr so far.
    logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        Self::start_logging(args, "leadsim=info")
    }

    fn start_logging(args: &[&str], rust_log: &str) -> Self {
        let listen: &[&str] = if args.contains(&"--listen") {
            &[]
        } else {
            &["--listen", "127.0.0.1:0"]
        };
        let mut child = Command::new(BIN)
            .args(listen)
            .args(args)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("leadsim starts");
        // The startup line names the bound address: read it instead of racing for a port.
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let logs = Arc::new(Mutex::new(Vec::new()));
        let address = loop {
            assert!(Instant::now() < deadline, "no startup line");
            let line = lines.next().expect("startup line").expect("utf-8");
            logs.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest
                    .split(|c: char| c.is_whitespace() || c == '"')
                    .next()
                    .unwrap()
                    .to_owned();
            }
        };
        // Keep draining stderr so the child never blocks on a full pipe.
        let kept = logs.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Self { child, address, logs }
    }

    fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// The logs once every one of `expected` is in them (or 10 s passed).
    fn logs_once_they_show(&self, expected: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let logs = self.logs();
            if expected.iter().all(|e| logs.contains(e)) || Instant::now() > deadline {
                return logs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
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
    assert!(stderr.contains("LEADSIM_NOW"), "the variable is named: {stderr}");
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
            .contains("/definitely/not/here: the fixtures directory does not exist")
    );
}

/// Reads until the server closes the connection; how long that took.
/// Everything the server sends until it closes the connection, and how
/// long it took to close.
fn answer_until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

fn until_closed(stream: &mut TcpStream) -> Duration {
    answer_until_closed(stream).1
}

#[test]
fn silent_and_slow_clients_are_cut_off_at_the_header_timeout() {
    let server = Server::start(&["--header-read-timeout", "1"]);
    let mut silent = server.connect();
    let waited = until_closed(&mut silent);
    assert!(waited < Duration::from_secs(5), "silent client kept {waited:?}");

    let mut slow = server.connect();
    let started = Instant::now();
    for byte in b"GET /__admin/health HTTP/1.1\r\nHost: x\r\n" {
        if slow.write_all(&[*byte]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(6) {
            break;
        }
    }
    let waited = started.elapsed() + until_closed(&mut slow);
    assert!(waited < Duration::from_secs(8), "slow client kept {waited:?}");

    // A keep-alive connection that falls silent after a request (its
    // second wait for a head shares the first one's timer) is closed too.
    let mut kept = server.connect();
    kept.write_all(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let started = Instant::now();
    let _ = kept.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(5)).contains(&waited),
        "idle keep-alive connection closed after {waited:?}"
    );
    // The server still serves everyone else.
    assert_eq!(server.get("/__admin/health").0, 200);
}

#[test]
fn a_stalled_body_is_cut_off_at_the_idle_timeout() {
    let server = Server::start(&["--idle-timeout", "1"]);
    let mut stream = server.connect();
    write!(
        stream,
        "POST /api/v1/lead_analytics HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{"
    )
    .unwrap();
    let (text, waited) = answer_until_closed(&mut stream);
    assert!(waited < Duration::from_secs(6), "stalled body kept {waited:?}");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("Request body did not arrive within 1 seconds"),
        "{text}"
    );
}

#[test]
fn shutdown_finishes_within_its_grace_despite_a_half_sent_request() {
    let mut server = Server::start(&["--shutdown-grace", "1"]);
    let mut stream = server.connect();
    write!(
        stream,
        "POST /api/v1/lead_analytics HTTP/1.1\r\nHost: x\r\nContent-Len"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let exit = server.terminate();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(exit.success(), "{exit}");
    assert!(server.logs().contains("shutdown grace"), "{}", server.logs());
}

#[test]
fn an_oversized_request_head_gets_431() {
    let server = Server::start(&[]);
    let mut stream = server.connect();
    let big = "a".repeat(100 * 1024);
    let _ = write!(
        stream,
        "GET /__admin/health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"
    );
    let (text, _) = answer_until_closed(&mut stream);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
}

/// One response read off a keep-alive connection: its head, and its body
/// by `content-length`.
fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "closed in the head: {head}"
        );
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

/// Clients that send a whole request before reading (Python's
/// `http.client`, blocking SDK clients) must read a too-large body's 413,
/// in the family's shape, not find the connection reset under them.
#[test]
fn a_client_that_sends_its_whole_oversized_body_first_reads_the_413() {
    let server = Server::start(&[]);
    let big = vec![b'x'; 2 * 1024 * 1024];
    let cases = [
        (
            "/api/v1/lead_analytics",
            r#"{"errors":[],"message":"Request body exceeds the limit of 1048576 bytes"}"#,
        ),
        (
            "/uiEvent/offerDisplays",
            r#"[{"type":"payload_too_large","message":"Request body exceeds the limit of 1048576 bytes"}]"#,
        ),
        (
            "/v2/LeadManagement.svc/Lead.Capture?accessKey=demo-access-key&secretKey=demo-secret-key",
            r#"{"Status":"Error","ExceptionType":"MXRequestTooLargeException","ExceptionMessage":"Request body exceeds the limit of 1048576 bytes"}"#,
        ),
    ];
    for (path, expected) in cases {
        // Declared by Content-Length: the body is read and dropped, and
        // the connection carries the next request.
        let mut stream = server.connect();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            big.len()
        )
        .unwrap();
        stream.write_all(&big).unwrap();
        let (head, body) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 413"), "{path}: {head}");
        assert!(
            !head.to_ascii_lowercase().contains("connection: close"),
            "{path}: {head}"
        );
        assert_eq!(body, expected, "{path}");
        stream
            .write_all(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert!(read_response(&mut stream).0.starts_with("HTTP/1.1 200"), "{path}");

        // Chunked, with no length to refuse it by: read up to the limit,
        // then the rest dropped.
        let mut stream = server.connect();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .unwrap();
        for chunk in big.chunks(64 * 1024) {
            write!(stream, "{:x}\r\n", chunk.len()).unwrap();
            stream.write_all(chunk).unwrap();
            stream.write_all(b"\r\n").unwrap();
        }
        stream.write_all(b"0\r\n\r\n").unwrap();
        let (head, body) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 413"), "{path}: {head}");
        assert_eq!(body, expected, "{path}");
    }
}

/// A client waiting for `100 Continue` gets its 413 at once and sends
/// nothing; one declaring more than leadsim drains gets it at once too, and
/// the connection closes behind it.
#[test]
fn an_oversized_body_not_worth_reading_is_refused_at_once() {
    let server = Server::start(&[]);
    for (declared, expect) in [
        (2 * 1024 * 1024, "Expect: 100-continue\r\n"),
        (64 * 1024 * 1024, ""),
    ] {
        let mut stream = server.connect();
        write!(
            stream,
            "POST /api/v1/lead_analytics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{expect}Content-Length: {declared}\r\n\r\n"
        )
        .unwrap();
        let (text, waited) = answer_until_closed(&mut stream);
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        assert!(!text.contains("100 Continue"), "{text}");
        assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    }
}

/// What leadsim refuses without reading it all (a body over the 16 MiB it
/// drains, a head over `--max-header-bytes`) is still answered to a client
/// that sends everything first: the connection is read out before it
/// closes, not reset under the answer.
#[test]
fn a_client_still_sending_when_the_connection_closes_reads_the_answer() {
    let server = Server::start(&[]);
    let body = vec![b'x'; 20 * 1024 * 1024];
    // The answer can leave before the body arrives; the second time round
    // it has, and the body sent after it is read out all the same.
    for answer_first in [false, true] {
        let mut stream = server.connect();
        write!(
            stream,
            "POST /api/v1/lead_analytics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        if answer_first {
            assert!(stream.peek(&mut [0; 1]).unwrap() > 0);
            // Time for the close that follows the answer.
            std::thread::sleep(Duration::from_millis(100));
        }
        stream.write_all(&body).unwrap();
        let (head, answer) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 413"), "{head}");
        assert!(head.to_ascii_lowercase().contains("connection: close"), "{head}");
        assert_eq!(
            answer,
            r#"{"errors":[],"message":"Request body exceeds the limit of 1048576 bytes"}"#
        );
    }

    let mut stream = server.connect();
    let big = "a".repeat(4 * 1024 * 1024);
    write!(
        stream,
        "GET /__admin/health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"
    )
    .unwrap();
    let (head, _) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    // The server goes on serving.
    assert_eq!(server.get("/__admin/health").0, 200);
}

/// A body that breaks off (a chunk size that is not hex) is answered 400 in
/// the family's shape, and journaled.
#[test]
fn a_broken_chunked_body_gets_400() {
    let server = Server::start(&[]);
    let mut stream = server.connect();
    stream
        .write_all(b"POST /api/v1/lead_analytics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{\"\r\nzz\r\n")
        .unwrap();
    let (head, body) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert_eq!(
        body,
        r#"{"errors":[],"message":"Request body could not be read"}"#
    );
    let (status, journal) = server.get("/__admin/requests?limit=1");
    assert_eq!(status, 200);
    assert!(journal.contains(r#""status":400"#), "{journal}");
}

#[test]
fn listen_takes_a_host_name() {
    let server = Server::start(&["--listen", "localhost:0"]);
    assert_eq!(server.get("/__admin/health").0, 200);
}

#[test]
fn an_unknown_fixture_file_is_named() {
    let dir = temp_fixtures("unknown-file", "engines.json", "{}");
    let output = Command::new(BIN).arg("--fixtures").arg(&dir).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("engines.json: not a fixture file leadsim reads"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn debug_logs_never_show_credentials_or_colour() {
    let server = Server::start_logging(&[], "leadsim=debug,tower_http=debug");
    server.get("/Leads/LeadDistribution/FilterByLeadField?secret%4Bey=s3cret-one&accessKey=k3y-one");
    server.get("/__admin/requests?credential=c3dential-two");
    // Both requests' lines, however long a loaded machine takes to pipe them.
    let logs = server.logs_once_they_show(&["secret%4Bey=[redacted:", "credential=[redacted:"]);
    for expected in ["secret%4Bey=[redacted:", "credential=[redacted:"] {
        assert!(logs.contains(expected), "requests are logged: {logs}");
    }
    for secret in ["s3cret-one", "k3y-one", "c3dential-two"] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
    assert!(!logs.contains('\u{1b}'), "no ANSI codes on a pipe: {logs}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let server = Server::start(&["--log-format", "json"]);
    server.get("/__admin/health");
    let logs = server.logs();
    let first = logs.lines().next().unwrap_or_default();
    let line: serde_json::Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert_eq!(line["level"], "INFO");
    assert!(
        line["fields"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("listening on")
    );
}

/// Runs the binary with `args` and `env`, off the async workers.
async fn run_binary(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(BIN);
    command.args(args).envs(env.iter().copied());
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadsim_health_exits_0_for_a_healthy_server_and_1_otherwise() {
    let app = crate::common::TestApp::new();
    let address = app.serve().await;
    let unspecified = format!("0.0.0.0:{}", address.port());
    for listen in [address.to_string(), unspecified] {
        let output = run_binary(&["--listen", &listen, "health"], &[]).await;
        assert!(output.status.success(), "{listen}: {output:?}");
    }
    // Nothing listens on a port just released.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let output = run_binary(&["health"], &[("LEADSIM_LISTEN", &free)]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("leadsim: unhealthy: cannot connect to"),
        "{stderr}"
    );
}

#[test]
fn the_version_is_the_changelogs_latest_release() {
    let output = Command::new(BIN).arg("--version").output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let changelog = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CHANGELOG.md")).unwrap();
    let latest = changelog
        .lines()
        .find_map(|line| {
            line.strip_prefix("## [")
                .filter(|rest| !rest.starts_with("Unreleased"))
        })
        .and_then(|rest| rest.split(']').next())
        .unwrap();
    assert_eq!(printed, format!("leadsim {latest}"));
}

#[test]
fn a_near_miss_fixture_file_name_is_named_not_ignored() {
    for file in ["engine.jsn", "finicity.JSON", "leadsquared.json.bak"] {
        let dir = temp_fixtures(&format!("near-{}", file.replace('.', "-")), file, "{}");
        let output = Command::new(BIN).arg("--fixtures").arg(&dir).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{file}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("{file}: ")), "{stderr}");
        assert!(!stderr.contains(": .:"), "{stderr}");
        assert!(
            stderr.contains("looks like a fixture file")
                || stderr.contains("not a fixture file leadsim reads"),
            "{stderr}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_negative_seed_is_refused_as_a_value_in_words() {
    let output = Command::new(BIN).args(["--seed", "-1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'-1' is not a seed: use a whole number from 0 to"),
        "{stderr}"
    );
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
}

#[test]
fn the_startup_line_counts_in_words_and_names_an_address_a_browser_opens() {
    let mut server = Server::start(&[]);
    let logs = server.logs();
    assert!(logs.contains("1 partner, 3 customers"), "{logs}");
    assert!(logs.contains("1 account from"), "{logs}");
    let _ = server.terminate();
    let mut all = Server::start(&["--listen", "0.0.0.0:0"]);
    let logs = all.logs();
    assert!(logs.contains("listening on http://localhost:"), "{logs}");
    assert!(logs.contains("(all interfaces)"), "{logs}");
    let _ = all.terminate();
}
