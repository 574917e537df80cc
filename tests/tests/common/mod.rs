//! Running the real `switchboard` binary the way a person would, and the simulator it talks to.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The `switchboard` binary built next to this test (`cargo build --workspace` builds it).
pub fn bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let b = dir.join("switchboard");
    assert!(b.exists(), "{} is missing: run `cargo build -p switchboard-cli` before the end-to-end tests", b.display());
    b
}

/// Runs `switchboard <args>` with a private SWITCHBOARD_HOME, so no test touches the person's data.
pub fn switchboard(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args).env("SWITCHBOARD_HOME", home).env_remove("SWITCHBOARD_TOKEN");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("switchboard runs")
}

pub fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "switchboard failed: {}\nstdout: {stdout}\nstderr: {}", out.status, String::from_utf8_lossy(&out.stderr));
    stdout
}

/// `switchboard simulate` running in the background; killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
    pub token: String,
    pub agent_token: String,
}

impl Sim {
    pub fn start(world_args: &[&str], faults: Option<&str>) -> Sim {
        let mut cmd = Command::new(bin());
        cmd.arg("simulate").args(world_args).args(["--port", "0"]);
        if let Some(f) = faults {
            cmd.args(["--faults", f]);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("simulator starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut url, mut token, mut agent_token) = (String::new(), String::new(), String::new());
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(v) = line.strip_prefix("Cognigy Live Agent OData: ") {
                url = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("Access token (administrator): ") {
                token = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("Access token (agent, not allowed): ") {
                agent_token = v.trim().to_string();
            } else if line.starts_with("Serving ") {
                break;
            }
        }
        assert!(url.starts_with("http://127.0.0.1:"), "the simulator printed no URL");
        // Keep draining stdout so the simulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Sim { child, url, token, agent_token }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a CSV written by `switchboard run` into a header and rows.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "CSV exports start with a UTF-8 BOM for Excel");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

/// A percentage cell ("45.5%") or a plain fraction, as a fraction.
pub fn fraction(s: &str) -> f64 {
    match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().unwrap() / 100.0,
        None => s.parse().unwrap(),
    }
}
