//! Output that streams and never destroys data: `--out` replaces a file only with a complete
//! new one (a `kill -9` mid-write leaves the old one), write errors are one line with exit
//! 73, a closed pipe ends quietly, and JSON (compact or `--pretty`), JSON lines and CSV carry
//! the same customers.

mod common;

use common::{json, revgap};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn generated(dir: &std::path::Path, customers: &str) -> String {
    let data = dir.join("data");
    assert!(
        revgap(&[
            "generate",
            "--customers",
            customers,
            "--weeks",
            "12",
            "--seed",
            "3",
            "--out",
            data.to_str().unwrap(),
        ])
        .status
        .success()
    );
    data.join("weekly_spend.csv").to_str().unwrap().to_string()
}

#[test]
fn compact_pretty_and_lines_carry_the_same_report() {
    let compact = revgap(&["analyze", "--format", "json"]);
    assert!(compact.status.success());
    let text = String::from_utf8(compact.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "compact JSON is one line");
    let mut compact: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut pretty = json(&["analyze", "--format", "json", "--pretty"]);
    for report in [&mut compact, &mut pretty] {
        report.as_object_mut().unwrap().remove("generated_at");
    }
    assert_eq!(compact, pretty);
    // No rationale text unless asked for.
    let customer = &compact["customers"][0];
    assert!(customer["rationale"].get("text").is_none(), "{customer}");
    assert_eq!(customer["rationale"]["source"], "rule_based");
    let full = json(&["analyze", "--format", "json", "--with-rationale"]);
    assert!(full["customers"][0]["rationale"]["text"].is_string());

    let lines = String::from_utf8(revgap(&["analyze", "--format", "jsonl"]).stdout).unwrap();
    let lines: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let customers = compact["customers"].as_array().unwrap();
    assert_eq!(lines.len(), customers.len() + 1);
    assert_eq!(&lines[..customers.len()], customers.as_slice());
    let summary_line = lines.last().unwrap();
    assert_eq!(summary_line["summary"], compact["summary"]);
    assert!(summary_line.get("customers").is_none());

    let csv = String::from_utf8(revgap(&["analyze", "--format", "csv"]).stdout).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rationale = headers.iter().position(|h| h == "rationale").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), customers.len());
    assert!(rows.iter().all(|r| r[rationale].is_empty()));
    let with =
        String::from_utf8(revgap(&["analyze", "--format", "csv", "--with-rationale"]).stdout)
            .unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(with.as_bytes());
    let first = reader.records().next().unwrap().unwrap();
    assert!(first[rationale].starts_with("No spend") || !first[rationale].is_empty());
}

/// `--fields` keeps the chosen fields of each record (and the id) in JSON and JSON lines, the
/// head untouched; unknown fields and other formats are refused with one line.
#[test]
fn fields_project_the_records_of_json_and_json_lines() {
    let full = json(&["analyze", "--format", "json"]);
    let projected = json(&[
        "analyze",
        "--format",
        "json",
        "--fields",
        "rank,primary_gap,churn",
    ]);
    assert_eq!(projected["summary"], full["summary"]);
    let (full, projected) = (
        full["customers"].as_array().unwrap(),
        projected["customers"].as_array().unwrap(),
    );
    assert_eq!(projected.len(), full.len());
    for (whole, part) in full.iter().zip(projected) {
        let mut kept = whole.as_object().unwrap().clone();
        kept.retain(|key, _| {
            ["customer_id", "rank", "primary_gap", "churn"].contains(&key.as_str())
        });
        assert_eq!(part, &serde_json::Value::Object(kept));
    }
    let lines =
        String::from_utf8(revgap(&["analyze", "--format", "jsonl", "--fields", "spend"]).stdout)
            .unwrap();
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["customer_id", "spend"]);

    let unknown = revgap(&["analyze", "--format", "json", "--fields", "rank,colour"]);
    assert_eq!(unknown.status.code(), Some(2));
    let message = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        message.contains("invalid value 'colour'") && message.contains("primary_gap"),
        "{message}"
    );
    let csv = revgap(&["analyze", "--format", "csv", "--fields", "rank"]);
    assert_eq!(csv.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&csv.stderr).trim(),
        "revgap: error: --fields chooses the fields of JSON records: expected --format json or jsonl"
    );
}

#[test]
fn write_errors_are_one_line_and_a_closed_pipe_is_quiet() {
    // A full device, through --out and through stdout.
    let full = revgap(&["analyze", "--format", "json", "--out", "/dev/full"]);
    assert_eq!(full.status.code(), Some(73));
    assert_eq!(
        String::from_utf8_lossy(&full.stderr).trim_end(),
        "revgap: error: /dev/full: cannot write report: No space left on device (os error 28)"
    );
    let device = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = common::command()
        .args(["analyze", "--format", "csv"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(device)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(73));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "revgap: error: stdout: No space left on device (os error 28)"
    );
    // A missing directory.
    let missing = revgap(&["analyze", "--out", "/nonexistent-revgap-dir/report.md"]);
    assert_eq!(missing.status.code(), Some(73));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr
            .starts_with("revgap: error: /nonexistent-revgap-dir/report.md: cannot write report:"),
        "{stderr}"
    );

    // `| head -1`: the reader goes away after one line; revgap stops quietly, with success.
    let dir = tempfile::tempdir().unwrap();
    let weekly = generated(dir.path(), "20000");
    let mut child = common::command()
        .args(["analyze", "--format", "jsonl", "--weekly", &weekly])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("{\"customer_id\""), "{line}");
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// `kill -9` while the report is being written leaves yesterday's file as it was; the next
/// run replaces it whole.
#[test]
fn a_kill_during_the_write_leaves_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let weekly = generated(dir.path(), "150000");
    let out_dir = dir.path().join("reports");
    std::fs::create_dir(&out_dir).unwrap();
    let report = out_dir.join("report.json");
    std::fs::write(&report, "yesterday's report\n").unwrap();
    let args = [
        "analyze",
        "--format",
        "json",
        "--pretty",
        "--with-rationale",
        "--weekly",
        &weekly,
        "--out",
        report.to_str().unwrap(),
    ];
    let mut child = common::command().args(args).spawn().unwrap();
    // Wait until the new report is being written (its temporary file has data), then kill.
    let temporary = loop {
        let found = std::fs::read_dir(&out_dir)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with(".revgap-"));
        if let Some(entry) = found
            && entry.metadata().map(|m| m.len()).unwrap_or(0) > (1 << 20)
        {
            break entry.path();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the write finished before it could be interrupted"
        );
        std::thread::yield_now();
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "yesterday's report\n"
    );
    // The interrupted temporary file is never mistaken for the report.
    assert!(temporary.exists());
    let finished = common::command().args(args).output().unwrap();
    assert!(finished.status.success());
    let replaced: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        replaced["customers"].as_array().unwrap().len() as u64,
        replaced["summary"]["customers_with_gaps"].as_u64().unwrap()
    );
}
