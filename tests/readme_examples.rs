//! Every example command in the README and in `docs/` runs as written from the repository root,
//! and every report excerpt the README shows is what the binary prints today.
//!
//! The commands are taken from the documents themselves: whole ```sh blocks, and the `$ ` lines
//! of ```console blocks (with their `\` continuations). `cargo run --release --` becomes the
//! binary under test (the release build when `.ci/run` points REVGAP_E2E_BIN at it); `cargo test`
//! lines are left to CI itself. Each document runs in order, in its own copy of the repository's
//! `data/` with `tests/` and `assets/` beside it, with a home of its own, so one example may use
//! what an earlier one in the same document made (a campaign, a generated data set).
//! A failure names the document and line of the example that failed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One command as a document shows it: where it is and the text a shell runs.
struct Example {
    line: usize,
    command: String,
}

/// A report excerpt: the command that prints it, where the block starts, and its lines.
struct Excerpt {
    line: usize,
    command: String,
    lines: Vec<String>,
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn binary_under_test() -> PathBuf {
    std::env::var_os("REVGAP_E2E_BIN").map_or_else(common::binary, PathBuf::from)
}

/// The documents whose examples must run: the README and every page under `docs/`.
fn documents() -> Vec<PathBuf> {
    let mut documents = vec![repository().join("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(repository().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.expect("a docs entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    documents.extend(pages);
    documents
}

/// The command a user would type, with `cargo run` replaced by the installed binary's name.
fn as_installed(command: &str) -> String {
    let command = command.trim();
    if let Some(rest) = command.strip_prefix("cargo run --release --") {
        format!("revgap{rest}")
    } else if let Some(rest) = command.strip_prefix("cargo run --release") {
        format!("revgap{rest}")
    } else {
        command.to_string()
    }
}

/// The examples of one document, in order.
fn examples(text: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut fence: Option<String> = None;
    let mut pending: Option<Example> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(info) = line.strip_prefix("```") {
            fence = match fence {
                None => Some(info.trim().to_string()),
                Some(_) => None,
            };
            continue;
        }
        let Some(kind) = fence.as_deref() else {
            continue;
        };
        if let Some(mut open) = pending.take() {
            // A continuation of the previous line.
            open.command.push('\n');
            open.command.push_str(line);
            if line.trim_end().ends_with('\\') {
                pending = Some(open);
            } else {
                examples.push(open);
            }
            continue;
        }
        let command = match kind {
            "sh" => {
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                line
            }
            "console" => match line.strip_prefix("$ ") {
                Some(command) => command,
                None => continue,
            },
            _ => continue,
        };
        let example = Example {
            line: number,
            command: command.to_string(),
        };
        if command.trim_end().ends_with('\\') {
            pending = Some(example);
        } else {
            examples.push(example);
        }
    }
    assert!(pending.is_none(), "a command continues past its block");
    examples
        .into_iter()
        .filter(|example| !example.command.trim_start().starts_with("cargo test"))
        .map(|example| Example {
            line: example.line,
            command: as_installed(&example.command),
        })
        .collect()
}

/// The excerpts of one document: a ```markdown or ```text block right after a line
/// `<!-- excerpt of: COMMAND -->`.
fn excerpts(text: &str) -> Vec<Excerpt> {
    let lines: Vec<&str> = text.lines().collect();
    let mut excerpts = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(command) = line
            .trim()
            .strip_prefix("<!-- excerpt of:")
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines
            .get(index + 1)
            .filter(|next| next.starts_with("```"))
            .unwrap_or_else(|| {
                panic!(
                    "line {}: an excerpt marker not followed by a block",
                    index + 1
                )
            });
        assert!(
            fence.len() > 3,
            "line {}: an excerpt block names its kind",
            index + 2
        );
        let body: Vec<String> = lines[index + 2..]
            .iter()
            .take_while(|line| !line.starts_with("```"))
            .filter(|line| !line.trim().is_empty() && line.trim() != "…")
            .map(|line| line.to_string())
            .collect();
        excerpts.push(Excerpt {
            line: index + 2,
            command: as_installed(command.trim()),
            lines: body,
        });
    }
    excerpts
}

/// A working directory that looks like the repository root: its own copy of `data/` (examples
/// may write beside it) and `tests/`, `assets/` linked, read-only in spirit.
fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "revgap-readme-{}-{}",
        std::process::id(),
        name.replace(['/', '.'], "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).expect("a workspace");
    for entry in std::fs::read_dir(repository().join("data")).expect("data/ exists") {
        let entry = entry.expect("a data entry");
        if entry.file_type().expect("a file type").is_file() {
            std::fs::copy(entry.path(), dir.join("data").join(entry.file_name()))
                .expect("copy a data file");
        }
    }
    for linked in ["tests", "assets"] {
        std::os::unix::fs::symlink(repository().join(linked), dir.join(linked))
            .expect("link beside the data");
    }
    dir
}

/// Runs a shell script in `dir` where `revgap` is the binary under test, with its own home.
fn shell(dir: &Path, script: &str) -> std::process::Output {
    let home = dir.join(".home");
    std::fs::create_dir_all(&home).expect("a home");
    let mut command = Command::new("bash");
    common::hermetic(&mut command, &home);
    command
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("REVGAP_UNDER_TEST", binary_under_test())
        .env_remove("NO_COLOR")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .output()
        .expect("bash runs")
}

const PRELUDE: &str = "set -euo pipefail\nrevgap() { \"$REVGAP_UNDER_TEST\" \"$@\"; }\n";

/// The script that runs a document's examples in order, stopping at the first failure and
/// naming its line.
fn script_of(document: &str, examples: &[Example]) -> String {
    let mut script = String::from(PRELUDE);
    for example in examples {
        script.push_str(&format!(
            "echo '>>> {document}:{}' >&2\n{}\n",
            example.line, example.command
        ));
    }
    script
}

fn failing_line(stderr: &str) -> &str {
    stderr
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(">>> "))
        .unwrap_or("(before the first example)")
}

#[test]
fn every_example_command_in_the_readme_and_docs_runs_as_written() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for path in documents() {
        let text = std::fs::read_to_string(&path).expect("a readable document");
        let name = path
            .strip_prefix(repository())
            .expect("under the repository")
            .display()
            .to_string();
        let examples = examples(&text);
        if examples.is_empty() {
            continue;
        }
        ran += examples.len();
        let dir = workspace(&name);
        let output = shell(&dir, &script_of(&name, &examples));
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last: Vec<&str> = stderr.lines().rev().take(6).collect();
            failures.push(format!(
                "{} failed (exit {:?}): {}",
                failing_line(&stderr),
                output.status.code(),
                last.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The README alone shows a tour of a dozen commands: finding none means the extraction broke.
    assert!(ran >= 20, "only {ran} example commands found");
}

#[test]
fn the_readmes_report_excerpts_are_what_the_binary_prints_today() {
    let text = std::fs::read_to_string(repository().join("README.md")).expect("the README");
    let excerpts = excerpts(&text);
    assert!(!excerpts.is_empty(), "the README shows a report excerpt");
    for excerpt in excerpts {
        let dir = workspace(&format!("excerpt-{}", excerpt.line));
        let output = shell(&dir, &format!("{PRELUDE}{}\n", excerpt.command));
        assert!(
            output.status.success(),
            "README.md:{}: `{}` failed: {}",
            excerpt.line,
            excerpt.command,
            String::from_utf8_lossy(&output.stderr)
        );
        let printed = String::from_utf8_lossy(&output.stdout);
        let printed: Vec<&str> = printed.lines().collect();
        for line in &excerpt.lines {
            assert!(
                printed.contains(&line.as_str()),
                "README.md:{}: the excerpt of `{}` shows a line the binary no longer prints:\n{line}",
                excerpt.line,
                excerpt.command
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_extraction_reads_blocks_as_a_reader_does() {
    let text = "intro\n```sh\ncargo run --release -- analyze \\\n    --top 3   # comment\n# a note\ncargo test\ncargo run --release\n```\n```console\n$ revgap list\noutput line\n$ revgap a \\\n      b\n```\n```text\n$ not run\n```\n";
    let found: Vec<(usize, String)> = examples(text)
        .into_iter()
        .map(|example| (example.line, example.command))
        .collect();
    assert_eq!(
        found,
        vec![
            (3, "revgap analyze \\\n    --top 3   # comment".to_string()),
            (7, "revgap".to_string()),
            (10, "revgap list".to_string()),
            (12, "revgap a \\\n      b".to_string()),
        ]
    );
    let marked = "<!-- excerpt of: cargo run --release -- analyze --top 3 -->\n```markdown\n## A\n\n…\n- b\n```\n";
    let found = excerpts(marked);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].command, "revgap analyze --top 3");
    assert_eq!(found[0].lines, vec!["## A".to_string(), "- b".to_string()]);
}

/// Every field `analyze --format json` writes is named in docs/json-schema.md (the keys of
/// free-form maps — attributes, segments, counts by reason — are data, not schema).
#[test]
fn the_json_schema_page_names_every_field_the_report_writes() {
    let page = std::fs::read_to_string(repository().join("docs/json-schema.md")).unwrap();
    let output = common::command()
        .args([
            "analyze",
            "--format",
            "json",
            "--top",
            "5",
            "--with-rationale",
        ])
        .current_dir(repository())
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    const FREE_FORM: [&str; 5] = [
        "attributes",
        "segments",
        "skipped_by_reason",
        "skipped_customer_rows_by_reason",
        "gaps_by_type",
    ];
    fn keys(value: &serde_json::Value, found: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    found.insert(key.clone());
                    if !FREE_FORM.contains(&key.as_str()) {
                        keys(inner, found);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| keys(item, found)),
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    keys(&report, &mut found);
    let named = |key: &str| {
        page.match_indices(key).any(|(at, _)| {
            let before = page[..at].chars().next_back();
            let after = page[at + key.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    };
    let missing: Vec<&String> = found.iter().filter(|key| !named(key)).collect();
    assert!(
        missing.is_empty(),
        "not in docs/json-schema.md: {missing:?}"
    );
    assert!(found.len() > 60, "{found:?}");
}
