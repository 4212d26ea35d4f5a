//! `openpxl serve` as a real child process: started until its log says it serves, its
//! stderr collected line by line, stopped with SIGTERM or SIGKILL.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc::{self, Receiver},
    time::{Duration, Instant},
};

use crate::helpers::TestDatabase;

pub const BIN: &str = env!("CARGO_BIN_EXE_openpxl");

/// A running server process; killed when dropped.
pub struct ServeProcess {
    child: Option<Child>,
    lines: Receiver<String>,
}

impl ServeProcess {
    /// Takes the child process over (for a SIGKILL); the log is no longer collected.
    pub fn take_child(&mut self) -> Child {
        self.child.take().expect("running")
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// Runs `openpxl serve` until its log says it is serving (in text or JSON); returns the
/// process, the address it listens on and everything it logged so far.
pub fn start_serve(db: &TestDatabase, env: &[(&str, &str)]) -> (ServeProcess, String, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("OPENPXL_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        // Keep draining after the test stops listening, so the server never writes into a
        // closed pipe.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            lines_tx.send(line).ok();
        }
    });
    let process = ServeProcess {
        child: Some(child),
        lines,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = process
            .lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("server did not start:\n{log}"));
        log.push_str(&line);
        log.push('\n');
        if let Some(address) = listen_address(&line) {
            return (process, address, log);
        }
    }
}

/// The address of the "openpxl is serving" line, text (`listen=ADDR`) or JSON
/// (`"listen":"ADDR"`).
fn listen_address(line: &str) -> Option<String> {
    if !line.contains("openpxl is serving") {
        return None;
    }
    if let Some(at) = line.find("listen=") {
        return line[at + 7..].split_whitespace().next().map(str::to_owned);
    }
    let at = line.find("\"listen\":\"")?;
    let rest = &line[at + 10..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// Stops the server with SIGTERM, checks that it exits 0, and returns what it logged
/// after starting.
pub fn terminate(mut process: ServeProcess) -> String {
    let mut child = process.take_child();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
    // The reader thread ends when the pipe closes, which it has now.
    process.lines.iter().collect::<Vec<_>>().join("\n")
}

/// Issues a token through `POST /api/v1/tokens` of the server at `base` (authenticated with
/// `token`) and returns its secret.
pub async fn issue_token_over_http(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: serde_json::Value,
) -> String {
    let issued: serde_json::Value = client
        .post(format!("{base}/api/v1/tokens"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    issued["data"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token issued: {issued}"))
        .to_owned()
}
