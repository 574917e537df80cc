//! Running the real `switchboard` binary the way a person would, and the simulator it talks to.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::io::Write;
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

/// A D-Bus session bus with an unlocked GNOME Keyring on it; stopped on drop.
pub struct PrivateKeyring {
    bus: Child,
    address: String,
    home: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivateKeyring {
    pub fn start() -> PrivateKeyring {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_path_buf();
        // The keyring daemon needs these to exist, or every call answers NoReply.
        std::fs::create_dir_all(home.join(".cache")).unwrap();
        std::fs::create_dir_all(home.join(".local/share/keyrings")).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .env("HOME", &home)
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon is installed (scripts/install --test)");
        let mut address = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(bus.stdout.take().unwrap()), &mut address).unwrap();
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "no bus address: {address:?}");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--daemonize"])
            .env("HOME", &home)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_RUNTIME_DIR", &home)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed (scripts/install --test)");
        daemon.stdin.take().unwrap().write_all(b"test-keyring-password\n").unwrap();
        assert!(daemon.wait().unwrap().success());
        PrivateKeyring { bus, address, home, _dir: dir }
    }

    pub fn envs(&self) -> Vec<(&str, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", self.address.clone()),
            ("HOME", self.home.to_string_lossy().into_owned()),
            ("XDG_DATA_HOME", self.home.join(".local/share").to_string_lossy().into_owned()),
        ]
    }

    /// What `secret-tool` finds for an attribute pair in this keyring.
    pub fn lookup_all(&self, service: &str) -> String {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "service", service])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", &self.home)
            .output()
            .expect("secret-tool is installed (scripts/install --test)");
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        let _ = Command::new("pkill").args(["-f", &format!("gnome-keyring-daemon.*{}", "--components=secrets")]).env("HOME", &self.home).status();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

pub fn run(home: &Path, keyring: &PrivateKeyring, args: &[&str], extra: &[(&str, &str)]) -> std::process::Output {
    let envs = keyring.envs();
    let mut all: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    switchboard(home, args, &all)
}

