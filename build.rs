//! Tells the tests which outside tools this machine has, so a test that needs one it lacks shows
//! as ignored with the reason instead of passing without running (`has_tmux`, `has_local_llm`,
//! `has_smtp_server`).

use std::path::Path;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(has_tmux)");
    println!("cargo:rustc-check-cfg=cfg(has_local_llm)");
    println!("cargo:rustc-check-cfg=cfg(has_smtp_server)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PATH");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut tmux = false;
    for dir in std::env::split_paths(&path) {
        // A tool installed later changes its directory: re-check then.
        if dir.is_dir() {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
        tmux |= dir.join("tmux").is_file();
    }
    if tmux {
        println!("cargo:rustc-cfg=has_tmux");
    }
    let serve = Path::new("../shared/llm/serve.sh");
    if let Some(parent) = serve.parent().filter(|p| p.is_dir()) {
        println!("cargo:rerun-if-changed={}", parent.display());
    }
    if serve.is_file() {
        println!("cargo:rustc-cfg=has_local_llm");
    }
    // The SMTP test's server: a Python with aiosmtpd (scripts/smtp-venv.sh makes one).
    println!("cargo:rerun-if-env-changed=REVGAP_SMTP_PYTHON");
    let python = smtp_python();
    if let Some(dir) = python.parent().and_then(|bin| bin.parent()) {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let has_aiosmtpd = std::process::Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|output| output.status.success());
    if has_aiosmtpd {
        println!("cargo:rustc-cfg=has_smtp_server");
    }
}

/// `REVGAP_SMTP_PYTHON`, else the venv scripts/smtp-venv.sh makes (the tests use the same rule).
fn smtp_python() -> std::path::PathBuf {
    match std::env::var_os("REVGAP_SMTP_PYTHON") {
        Some(path) => path.into(),
        None => std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/revgap-smtp-venv/bin/python"),
    }
}
