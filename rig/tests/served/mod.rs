//! `rig sim serve` for the tests, on ports the system picks (every port 0), so a test
//! never collides with anything else on the machine: another test, or a `rig sim
//! serve` someone left running on the default ports.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server, stopped when dropped (also when a test fails).
pub struct Server(Child);

impl Server {
    /// Sends `signal` (`TERM`, `INT`) and waits, at most 30 s, for the server to end.
    #[allow(dead_code)] // serve.rs uses it; cli.rs includes this module too
    pub fn signal_and_wait(&mut self, signal: &str) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal} failed");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `--<endpoint>-port 0` for every endpoint `rig sim serve` puts on TCP, and for its
/// socketcand server.
pub fn any_ports() -> Vec<String> {
    let mut args = Vec::new();
    for (endpoint, _) in rig::serve::BYTE_ENDPOINTS {
        args.push(format!("--{}-port", endpoint.replace('_', "-")));
        args.push("0".to_string());
    }
    args.extend(["--can-port".to_string(), "0".to_string()]);
    args
}

/// Starts `rig sim serve` with `extra` arguments on any free ports; returns once it has
/// written the bench file that reaches it to `bench_out`.
pub fn start(bench_out: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rig"))
        .args(["sim", "serve"])
        .args(extra)
        .args(any_ports())
        .arg("--bench-out")
        .arg(bench_out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rig binary runs");
    let started = Instant::now();
    while !bench_out.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                let _ = stderr.read_to_string(&mut err);
            }
            panic!("rig sim serve exited ({status}) before serving:\n{err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "rig sim serve did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Server(child)
}
