//! `revgap partial` on each partition of the customers, then `revgap merge`, against one
//! `analyze` of them all: the summary object and the top list (ids and priority scores) are
//! the same bit for bit, for a generated weekly panel in several partitionings and for the
//! CDNOW transaction log; partials of another analysis, foreign files and configurations that
//! need every customer at once are refused with one line naming the file or the setting.

mod common;

use common::{fixture, json, revgap};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EXACT: [&str; 4] = ["--churn-model", "rules", "--baseline", "original"];

/// Splits a CSV (header kept) into `k` files by a hash of the id in column `id_column`, so
/// that every row of a customer lands in one file; each file in a directory of its own (no
/// customers file beside it).
fn split(input: &Path, id_column: usize, k: usize, dir: &Path, delimiter: char) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(input).unwrap();
    let mut lines = text.lines();
    let header = if delimiter == ',' { lines.next() } else { None };
    let mut parts: Vec<String> = (0..k)
        .map(|_| header.map_or(String::new(), |h| format!("{h}\n")))
        .collect();
    for line in lines {
        let id = if delimiter == ',' {
            line.split(',').nth(id_column).unwrap()
        } else {
            line.split_whitespace().nth(id_column).unwrap()
        };
        let hash = id
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        parts[(hash % k as u64) as usize].push_str(&format!("{line}\n"));
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let part_dir = dir.join(format!("part{i}"));
            std::fs::create_dir_all(&part_dir).unwrap();
            let path = part_dir.join(input.file_name().unwrap());
            std::fs::write(&path, body).unwrap();
            path
        })
        .collect()
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let output = revgap(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The partials of `parts` (input flag `input`, extra flags `flags`).
fn partials(parts: &[PathBuf], input: &str, flags: &[&str], dir: &Path) -> Vec<String> {
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let out = dir.join(format!("p{i}.json"));
            let mut args = vec!["partial", input, part.to_str().unwrap()];
            args.extend(flags);
            args.extend(["--out", out.to_str().unwrap()]);
            run_ok(&args);
            out.display().to_string()
        })
        .collect()
}

fn merged(partials: &[String], top: usize) -> serde_json::Value {
    let top = top.to_string();
    let mut args = vec!["merge", "--format", "json", "--top", &top];
    args.extend(partials.iter().map(String::as_str));
    json(&args)
}

/// The first `n` of analyze's listed customers: (id, priority score).
fn analyze_top(report: &serde_json::Value, n: usize) -> Vec<(String, f64)> {
    report["customers"].as_array().unwrap()[..n]
        .iter()
        .map(|c| {
            (
                c["customer_id"].as_str().unwrap().to_string(),
                c["priority_score"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn merge_top(merged: &serde_json::Value) -> Vec<(String, f64)> {
    merged["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["customer_id"].as_str().unwrap().to_string(),
                c["priority_score"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_weekly_panel_in_partitions_merges_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated");
    run_ok(&[
        "generate",
        "--customers",
        "3000",
        "--weeks",
        "52",
        "--seed",
        "7",
        "--end",
        "2026-11-30",
        "--out",
        generated.to_str().unwrap(),
    ]);
    // The whole panel alone in its directory: no customers file beside it, as the parts.
    let whole_dir = dir.path().join("whole");
    std::fs::create_dir_all(&whole_dir).unwrap();
    let whole = whole_dir.join("weekly_spend.csv");
    std::fs::copy(generated.join("weekly_spend.csv"), &whole).unwrap();
    let mut args = vec![
        "analyze",
        "--weekly",
        whole.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(EXACT);
    let single = json(&args);
    for k in [1, 3, 5] {
        let parts_dir = dir.path().join(format!("k{k}"));
        let parts = split(&whole, 0, k, &parts_dir, ',');
        let files = partials(&parts, "--weekly", &EXACT, &parts_dir);
        let merged = merged(&files, 100);
        assert_eq!(merged["summary"], single["summary"], "k = {k}");
        assert_eq!(merge_top(&merged), analyze_top(&single, 100), "k = {k}");
        // The merge does not depend on the order of the files.
        let mut reversed = files.clone();
        reversed.reverse();
        assert_eq!(self::merged(&reversed, 100), merged, "k = {k}");
    }
    // CSV and markdown carry the same list.
    let parts_dir = dir.path().join("k3");
    let files: Vec<String> = (0..3)
        .map(|i| parts_dir.join(format!("p{i}.json")).display().to_string())
        .collect();
    let mut args = vec!["merge", "--format", "csv", "--top", "5"];
    args.extend(files.iter().map(String::as_str));
    let csv = String::from_utf8(run_ok(&args).stdout).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("rank,customer_id,priority_score,")
    );
    let first_id = single["customers"][0]["customer_id"].as_str().unwrap();
    assert!(
        lines.next().unwrap().starts_with(&format!("1,{first_id},")),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 6);
    let mut args = vec!["merge", "--top", "3"];
    args.extend(files.iter().map(String::as_str));
    let markdown = String::from_utf8(run_ok(&args).stdout).unwrap();
    assert!(
        markdown.contains(&format!("| 1 | {first_id} |")),
        "{markdown}"
    );
}

#[test]
fn a_transaction_log_in_partitions_merges_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let log = fixture("cdnow/CDNOW_sample.txt");
    // Every partition on the same weekly grid: the same first and last day.
    let mut flags: Vec<&str> = common::CDNOW_FLAGS.to_vec();
    flags.extend(EXACT);
    flags.extend(["--as-of", "1998-06-30"]);
    let mut args = vec![
        "analyze",
        "--transactions",
        log.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(&flags);
    let single = json(&args);
    let parts = split(&log, 1, 4, dir.path(), ' ');
    let files = partials(&parts, "--transactions", &flags, dir.path());
    let merged = merged(&files, 50);
    assert_eq!(merged["summary"], single["summary"]);
    assert_eq!(merge_top(&merged), analyze_top(&single, 50));
}

#[test]
fn partials_of_another_analysis_foreign_files_and_whole_panel_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let panel = dir.path().join("weekly_spend.csv");
    let mut rows = String::from("customer_id,week_start_date,weekly_spend\n");
    let mut by_customer: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for customer in 0..60u32 {
        let level = 20.0 + f64::from(customer % 7) * 10.0;
        let weeks: Vec<f64> = (0..16)
            .map(|w| {
                if customer % 3 == 0 && w > 12 {
                    0.0
                } else {
                    level
                }
            })
            .collect();
        by_customer.insert(customer, weeks);
    }
    let start = chrono::NaiveDate::from_ymd_opt(2026, 6, 6).unwrap();
    for (customer, weeks) in &by_customer {
        for (w, spend) in weeks.iter().enumerate() {
            let day = start + chrono::Days::new(7 * w as u64);
            rows.push_str(&format!("C{customer},{day},{spend}\n"));
        }
    }
    std::fs::write(&panel, rows).unwrap();
    let panel_arg = panel.to_str().unwrap();
    let out = dir.path().join("a.json");
    let mut args = vec![
        "partial",
        "--weekly",
        panel_arg,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(EXACT);
    run_ok(&args);
    let other = dir.path().join("b.json");
    let args = [
        "partial",
        "--weekly",
        panel_arg,
        "--churn-model",
        "rules",
        "--baseline",
        "trailing",
        "--out",
        other.to_str().unwrap(),
    ];
    run_ok(&args);
    let (a, b) = (out.to_str().unwrap(), other.to_str().unwrap());
    let output = revgap(&["merge", a, b]);
    assert_eq!(output.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{b}: analysed differently from {a}: configuration"
        )),
        "{stderr}"
    );
    // A file that is not a partial, and one cut short by a kill.
    let foreign = dir.path().join("foreign.json");
    std::fs::write(&foreign, "{\"schema_version\": 1}").unwrap();
    let output = revgap(&["merge", foreign.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(65));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("format \"\"; expected \"revgap-partial\""),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let output = revgap(&["merge", cut.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(65));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a revgap partial"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = revgap(&["merge", dir.path().join("missing.json").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(66));
    // The default model is fitted on everyone: a partition alone cannot give its part.
    let output = revgap(&[
        "partial",
        "--weekly",
        panel_arg,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("partial: the BG/NBD churn model is fitted on every customer at once"),
        "{stderr}"
    );
    // The refused run left the earlier partial whole.
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
}
