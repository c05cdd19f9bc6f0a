//! What a user sees does not change with the code's layout: `analyze` on the bundled sample
//! and on the CDNOW sample prints, byte for byte, what the single-crate build printed before
//! the workspace (markdown, JSON, JSON lines, CSV; only the generation time is masked). The
//! markdown is kept whole for a readable diff, every format as a SHA-256 in
//! `tests/data/golden/sha256.txt`.

mod common;

use sha2::{Digest, Sha256};

const CDNOW_SAMPLE: [&str; 11] = [
    "--transactions",
    "tests/data/cdnow/CDNOW_sample.txt",
    "--no-header",
    "--delimiter",
    "whitespace",
    "--id-col",
    "2",
    "--date-col",
    "3",
    "--amount-col",
    "5",
];

/// The output with its generation time replaced by `<time>`.
fn masked(text: &str) -> String {
    let mut text = text.to_string();
    for (marker, allowed) in [
        ("**Generated:** ", "0123456789: -"),
        ("\"generated_at\":\"", ""),
    ] {
        let mut from = 0;
        while let Some(found) = text[from..].find(marker) {
            let start = from + found + marker.len();
            let end = if allowed.is_empty() {
                start + text[start..].find('"').unwrap_or(0)
            } else {
                start
                    + text[start..]
                        .find(|c: char| !allowed.contains(c))
                        .unwrap_or(text.len() - start)
            };
            text.replace_range(start..end, "<time>");
            from = start + "<time>".len();
        }
    }
    text
}

#[test]
fn analyze_prints_what_it_printed_before_the_workspace() {
    let golden = std::fs::read_to_string(common::fixture("golden/sha256.txt")).unwrap();
    let mut checked = 0;
    for line in golden.lines().filter(|line| !line.starts_with('#')) {
        let [name, format, expected]: [&str; 3] = line
            .split_whitespace()
            .collect::<Vec<_>>()
            .try_into()
            .unwrap_or_else(|_| panic!("a golden line: {line}"));
        let mut args = vec!["analyze", "--format", format, "--no-snapshot"];
        if name == "cdnow_sample" {
            args.extend(CDNOW_SAMPLE);
        }
        let output = common::revgap(&args);
        assert!(
            output.status.success(),
            "{name} {format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed = masked(&String::from_utf8_lossy(&output.stdout));
        if format == "markdown" {
            let kept =
                std::fs::read_to_string(common::fixture(&format!("golden/{name}.md"))).unwrap();
            assert_eq!(printed, kept, "{name} markdown");
        }
        let digest: String = Sha256::digest(printed.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(digest, expected, "{name} {format}");
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn masking_touches_only_the_time() {
    assert_eq!(
        masked("**Generated:** 2026-12-07 20:23:38  \n**Scope:** x"),
        "**Generated:** <time>\n**Scope:** x"
    );
    assert_eq!(
        masked("{\"generated_at\":\"2026-12-07 20:23:38\",\"a\":1}"),
        "{\"generated_at\":\"<time>\",\"a\":1}"
    );
}
