//! A real SMTP relay on loopback (aiosmtpd, `tests/support/smtp_server.py`; installed by
//! `scripts/smtp-venv.sh`, which `.ci/run` runs), and reading what it accepted.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn python() -> PathBuf {
    match std::env::var_os("REVGAP_SMTP_PYTHON") {
        Some(path) => path.into(),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/revgap-smtp-venv/bin/python"),
    }
}

/// The server; stopped (stdin closed, then killed) when dropped.
pub struct Relay {
    child: Child,
    pub port: u16,
}

impl Relay {
    pub fn start(out: &Path) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("server said {line:?}"));
        Self { child, port }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn messages(out: &Path) -> Vec<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
}
