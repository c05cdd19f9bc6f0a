//! Tells the tests which outside tools this machine has, so a test that needs one it lacks shows
//! as ignored with the reason instead of passing without running (`has_tmux`, `has_local_llm`).

use std::path::Path;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(has_tmux)");
    println!("cargo:rustc-check-cfg=cfg(has_local_llm)");
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
}
