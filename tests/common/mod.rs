//! What every end-to-end test of `serve` shares: the real binary on a free port over a data folder
//! that outlives restarts, an HTTP client, and readers of the management API.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running `serve` process on a free port, over a data folder that outlives restarts.
pub struct Service {
    child: Child,
    pub url: String,
}

impl Service {
    pub fn start(data: &Path, extra: &[&str]) -> Service {
        Service::start_on(0, data, extra)
    }

    /// On a given port (0: any free one): webhook URIs handed out before a restart stay valid
    /// after it.
    pub fn start_on(port: u16, data: &Path, extra: &[&str]) -> Service {
        Service::start_with(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/service"),
            port,
            data,
            extra,
        )
    }

    pub fn start_with(connectors: &Path, port: u16, data: &Path, extra: &[&str]) -> Service {
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec![
            "serve",
            "--connectors",
            connectors.to_str().unwrap(),
            "--listen",
            &listen,
        ];
        let data = data.to_str().unwrap().to_string();
        args.extend(["--data", &data]);
        args.extend(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_connector-runtime"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let url = listening_url(&mut child);
        Service { child, url }
    }

    /// SIGTERM, then wait: the graceful way.
    pub fn stop(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }

    /// SIGKILL: the crash.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client (the workspace's reqwest brings no TLS provider of its own).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// The URL from the service's `listening on http://...` line, once it is bound.
fn listening_url(child: &mut Child) -> String {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("serve did not start: {line:?}"))
        .to_string()
}

pub async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn get(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> (u16, Value) {
    json_of(client.get(url).send().await.unwrap()).await
}

pub async fn events(client: &reqwest::Client, service: &Service) -> Vec<Value> {
    let (_, body) = get(client, format!("{}/api/events?limit=1000", service.url)).await;
    body["events"].as_array().cloned().unwrap_or_default()
}

/// Polls `poll` every 100 ms until `done` holds of what it gives, at most 10 s; returns that.
pub async fn until<T: std::fmt::Debug>(
    what: &str,
    mut poll: impl AsyncFnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let start = std::time::Instant::now();
    loop {
        let now = poll().await;
        if done(&now) {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{what}: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    (dir, data)
}

impl Service {
    /// The connectors shipped in the repository's `connectors/` folder.
    pub fn shipped(data: &Path, extra: &[&str]) -> Service {
        Service::start_with(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors"),
            0,
            data,
            extra,
        )
    }
}

/// `POST /api/subscriptions` with `body`: the status and the JSON answer.
pub async fn subscribe(client: &reqwest::Client, service: &Service, body: Value) -> (u16, Value) {
    json_of(
        client
            .post(format!("{}/api/subscriptions", service.url))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// HMAC-SHA256 of `message` under `key`, as lowercase hex: how GitHub, Stripe, Slack and Asana sign.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    hex(&hmac_sha256(key, message))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// HMAC-SHA1 of `message` under `key` (Trello, Twilio).
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Runs one method of a shipped connector once through `connector-runtime invoke`, with `input` as
/// its argument object; its JSON result (the run must succeed).
pub fn invoke(connector: &str, event: &str, method: &str, input: &Value) -> Value {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_connector-runtime"))
        .args(["invoke", "--connectors"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors"))
        .args([connector, event, method, "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "invoke {connector} {event} {method} failed: {stderr}"
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
