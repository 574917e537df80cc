//! Secrets through the real OS keychain, as a person uses the CLI: `switchboard connect`
//! stores the token in the Secret Service, `switchboard sync` reads it from there, and no file
//! of the workspace, no output and no export holds it.
//!
//! The keychain belongs to the test: a private D-Bus session and a GNOME Keyring daemon with
//! their own temporary HOME, never the person's.

mod common;

use common::{ok, run, switchboard, PrivateKeyring, Sim};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_token_lives_in_the_keychain_only_and_syncs_from_there() {
    let keyring = PrivateKeyring::start();
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("acme");
    let ws_s = ws.to_str().unwrap();
    let sim = Sim::start(&["--seed", "5", "--start", "2026-03-02", "--days", "3", "--per-day", "40"], None);

    // A wrong token is caught by --test and nothing is saved.
    let out = run(
        home.path(),
        &keyring,
        &["connect", "--workspace", ws_s, "--platform", "cognigy_odata", "--name", "Acme", "--set", &format!("base_url={}", sim.url), "--secret-env", "token=ACME_KEY", "--test"],
        &[("ACME_KEY", "wrong-key-123")],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the access token") && !err.contains("wrong-key-123"), "{err}");
    assert!(!keyring.lookup_all("Switchboard").contains("Switchboard"), "nothing stored after a failed test");

    // A token on the command line is refused: it would land in the shell history.
    let out = run(home.path(), &keyring, &["connect", "--workspace", ws_s, "--platform", "cognigy_odata", "--name", "Acme", "--set", "token=x"], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a secret"), "{}", String::from_utf8_lossy(&out.stderr));

    // The right token, typed on standard input as a person would.
    let mut child = Command::new(common::bin())
        .args(["connect", "--workspace", ws_s, "--platform", "cognigy_odata", "--name", "Acme", "--set", &format!("base_url={}", sim.url), "--test"])
        .env("SWITCHBOARD_HOME", home.path())
        .envs(keyring.envs())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", sim.token).unwrap();
    let saved = ok(&child.wait_with_output().unwrap());
    assert!(saved.contains("Connected") && saved.contains("keychain"), "{saved}");
    let found = keyring.lookup_all("Switchboard");
    assert!(found.contains(&sim.token), "the token is in the keychain: {found}");

    // Sync reads it from the keychain: no token in the environment.
    let out = ok(&run(home.path(), &keyring, &["sync", "--workspace", ws_s], &[]));
    let world = switchboard_sim::World::generate(&switchboard_sim::WorldConfig {
        seed: 5,
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        days: 3,
        conversations_per_day: 40,
    });
    assert!(out.contains("acme: ") && out.contains(&format!("({} conversations", world.conversations.len())), "{out}");
    let out = ok(&run(home.path(), &keyring, &["test", "--workspace", ws_s], &[]));
    assert!(out.contains("acme: Connected"), "{out}");

    // An export and every file of the workspace and of SWITCHBOARD_HOME are free of it.
    let xlsx = ws.join("export.xlsx");
    ok(&run(home.path(), &keyring, &["run", "builtin:conversations-per-day-by-inbox", "--workspace", ws_s, "--out", xlsx.to_str().unwrap(), "--param", "period=all"], &[]));
    for p in files_under(home.path()) {
        let bytes = std::fs::read(&p).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(&sim.token), "{} holds the token", p.display());
    }

    // Without the keychain, sync says what is wrong and how to fix it.
    let out = switchboard(home.path(), &["sync", "--workspace", ws_s], &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("keychain"), "{err}");
}
