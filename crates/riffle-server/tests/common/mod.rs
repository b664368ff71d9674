//! Shared by the integration tests: start the real `riffle` binary on a free port in a temp
//! dir, and build `aws-sdk-kinesis` clients for it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};

#[allow(dead_code)] // each test binary uses a different part
pub struct Server {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Starts `riffle serve` with `extra` flags and waits until it listens.
    pub fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_riffle"))
            .args(["serve", "--port", &port.to_string(), "--data-dir"])
            .arg(dir.path().join("data"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "riffle did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, port, dir }
    }

    /// A client signing with these credentials, retries off.
    pub fn client(&self, key: &str, secret: &str) -> Client {
        let conf = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        Client::from_conf(conf)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
