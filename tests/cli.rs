//! The headless command line, run as a person would: the real binary, real files.

mod common;

use common::{json, revgap};

use std::path::Path;

#[test]
fn analyze_json_on_the_bundled_sample_prints_the_summary() {
    let report = json(&["analyze", "--format", "json"]);
    let summary = &report["summary"];
    for key in [
        "customers_analyzed",
        "customers_with_gaps",
        "gaps_total",
        "gaps_by_type",
        "high_severity_gaps",
        "churn_risk_customers",
        "high_churn_risk_customers",
        "total_revenue_gap",
        "potential_recovery_revenue",
        "skipped_rows",
        "as_of",
    ] {
        assert!(!summary[key].is_null(), "summary.{key} missing");
    }
    assert_eq!(summary["customers_analyzed"], 1000);
    let customers = report["customers"].as_array().unwrap();
    assert_eq!(
        customers.len(),
        summary["customers_with_gaps"].as_u64().unwrap() as usize
    );
    let first = &customers[0];
    assert_eq!(first["rank"], 1);
    for key in [
        "customer_id",
        "priority_score",
        "primary_gap",
        "secondary_gaps",
        "churn",
        "opportunity",
        "score_factors",
    ] {
        assert!(!first[key].is_null(), "customers[0].{key} missing");
    }
    for key in [
        "type",
        "severity",
        "gap_amount",
        "gap_pct",
        "current",
        "expected",
        "weeks_at_risk",
    ] {
        assert!(
            !first["primary_gap"][key].is_null(),
            "primary_gap.{key} missing"
        );
    }
    for key in [
        "score",
        "probability",
        "factors",
        "weeks_since_last_purchase",
    ] {
        assert!(!first["churn"][key].is_null(), "churn.{key} missing");
    }
    for key in ["type", "potential_revenue", "actions"] {
        assert!(
            !first["opportunity"][key].is_null(),
            "opportunity.{key} missing"
        );
    }
    // Ranks are 1..n and scores never increase.
    let scores: Vec<f64> = customers
        .iter()
        .map(|c| c["priority_score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn no_arguments_runs_the_main_job_on_data() {
    let output = revgap(&[]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("# Revenue Gap Analysis Report"));
}

#[test]
fn markdown_has_the_original_sections_and_money_format() {
    let output = revgap(&["analyze", "--top", "3"]);
    let text = String::from_utf8_lossy(&output.stdout);
    for section in [
        "## Executive Summary",
        "## Top Priority Customers (Top 3)",
        "## High Churn Risk Customers",
        "## Recommendations",
        "## Methodology",
        "## Data Quality",
    ] {
        assert!(text.contains(section), "missing {section}");
    }
    assert!(text.contains("### 3. Customer"));
    assert!(!text.contains("### 4. Customer"));
    let money = regex_free_money_check(&text);
    assert!(money > 5, "expected $x,xxx.xx amounts");
}

/// Counts `$` amounts and checks each has two decimals and grouped thousands.
fn regex_free_money_check(text: &str) -> usize {
    let mut seen = 0;
    for piece in text.split('$').skip(1) {
        let amount: String = piece
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .collect();
        let amount = amount.trim_end_matches(['.', ',']);
        let (whole, cents) = amount.split_once('.').expect("two decimals");
        assert_eq!(cents.len(), 2, "{amount}");
        let groups: Vec<&str> = whole.split(',').collect();
        assert!(
            groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3),
            "{amount}"
        );
        seen += 1;
    }
    seen
}

#[test]
fn csv_has_one_row_per_customer_and_the_counts_line() {
    let output = revgap(&["analyze", "--format", "csv"]);
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let comment = lines.next().unwrap();
    assert!(
        comment.starts_with("# revgap: customers_analyzed=1000"),
        "{comment}"
    );
    assert!(comment.contains("skipped_rows=0"));
    let report = json(&["analyze", "--format", "json"]);
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), report["customers"].as_array().unwrap().len());
    assert_eq!(
        &rows[0][1],
        report["customers"][0]["customer_id"].as_str().unwrap()
    );
}

#[test]
fn out_flag_writes_the_file_and_keeps_stdout_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let output = revgap(&[
        "analyze",
        "--format",
        "json",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["summary"]["customers_analyzed"], 1000);
}

#[test]
fn bad_config_is_exit_78_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[gaps]\ndeclining = 3\n").unwrap();
    let output = revgap(&["analyze", "--config", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("unknown field `declining`"), "{stderr}");
}

#[test]
fn config_file_changes_the_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strict.toml");
    std::fs::write(
        &path,
        "[gaps]\ndeclining_revenue_pct = -60.0\nbelow_baseline_pct = -90.0\nzero_spend_weeks = 4\n",
    )
    .unwrap();
    let loose = json(&["analyze", "--format", "json"]);
    let tight = json(&[
        "analyze",
        "--format",
        "json",
        "--config",
        path.to_str().unwrap(),
    ]);
    assert!(tight["summary"]["gaps_total"].as_u64() < loose["summary"]["gaps_total"].as_u64());
}

#[test]
fn transaction_log_aggregates_to_weeks_ending_on_the_as_of_date() {
    let path = common::fixture("valid/transactions.csv");
    let data = revgap::data::load_transactions(
        path.to_str().unwrap(),
        &Default::default(),
        &Default::default(),
        revgap::data::RowPolicy::Strict,
        None,
    )
    .unwrap();
    // Weeks end on 2025-09-20 (the last date): 08-31..09-06, 09-07..09-13, 09-14..09-20.
    assert_eq!(
        data.week_starts
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>(),
        ["2025-08-31", "2025-09-07", "2025-09-14"]
    );
    // Customer 1: 10 + 5 (timestamp, same day) − 3 (return) = 12; then 20; then nothing.
    assert_eq!(*data.weeks_of(0), [12.0, 20.0, 0.0]);
    // Customer 2: a −9 return in an otherwise empty week is floored at zero and counted.
    assert_eq!(*data.weeks_of(1), [4.0, 0.0, 99.0]);
    assert_eq!(data.load.returns_netted, 2);
    assert_eq!(data.load.weeks_floored_at_zero, 1);
}

/// Windows of one week each, for two-week test files (the default windows need 8 weeks, and
/// longer windows than the data are a configuration error).
fn short_windows(_dir: &std::path::Path) -> String {
    common::fixture("valid/short_windows.toml")
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn count_only_and_as_of_flags() {
    let path = common::fixture("valid/transactions.csv");
    let path = path.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = short_windows(dir.path());
    let report = json(&[
        "analyze",
        "--transactions",
        path,
        "--config",
        &config,
        "--count-only",
        "--as-of",
        "2025-09-13",
        "--format",
        "json",
    ]);
    assert_eq!(report["summary"]["as_of"], "2025-09-13");
    assert_eq!(report["load"]["rows_after_as_of"], 1);
    assert_eq!(report["weeks"], 2);
    assert_eq!(report["load"]["returns_netted"], 0);
}

#[test]
fn named_columns_and_numbered_columns() {
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("named.csv");
    std::fs::write(&named, "household_id,transaction_timestamp,sales_value,store\nA,2025-09-01T10:00:00,5,1\nA,2025-09-09T10:00:00,6,1\n").unwrap();
    let config = short_windows(dir.path());
    let report = json(&[
        "analyze",
        "--transactions",
        named.to_str().unwrap(),
        "--config",
        &config,
        "--id-col",
        "household_id",
        "--date-col",
        "transaction_timestamp",
        "--amount-col",
        "sales_value",
        "--format",
        "json",
    ]);
    assert_eq!(report["summary"]["customers_analyzed"], 1);
    let numbered = dir.path().join("numbered.txt");
    std::fs::write(
        &numbered,
        "x A 20250901 1 5.00\nx A 20250909 2 6.50\nx B 20250909 1 1.00\n",
    )
    .unwrap();
    let mut args = vec![
        "analyze",
        "--transactions",
        numbered.to_str().unwrap(),
        "--config",
        &config,
    ];
    args.extend(common::CDNOW_FLAGS);
    args.extend(["--format", "json"]);
    let report = json(&args);
    assert_eq!(report["summary"]["customers_analyzed"], 2);
    let output = revgap(&[
        "analyze",
        "--transactions",
        numbered.to_str().unwrap(),
        "--no-header",
        "--delimiter",
        "whitespace",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--no-header needs --id-col as a 1-based column number")
    );
}

#[test]
fn cdnow_transaction_file_loads_with_the_right_flags() {
    let path = common::fixture("cdnow/CDNOW_sample.txt");
    let mut args = vec!["analyze", "--transactions", path.to_str().unwrap()];
    args.extend(common::CDNOW_FLAGS);
    args.extend(["--format", "json", "--top", "1"]);
    let report = json(&args);
    assert_eq!(report["summary"]["customers_analyzed"], 2357);
    assert_eq!(report["load"]["rows_read"], 6919);
    assert_eq!(report["summary"]["as_of"], "1998-06-30");
}

#[test]
fn generate_is_deterministic_and_data_dir_is_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    // The bundled sample is exactly this command's output (README: the demo data).
    let output = revgap(&["generate", "--end", "2026-12-06", "--out", out]);
    assert!(output.status.success());
    let repo_data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for file in [
        "customers.csv",
        "weekly_spend.csv",
        "contacts.csv",
        "truth.csv",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join(file)).unwrap(),
            std::fs::read(repo_data.join(file)).unwrap(),
            "data/{file} is `revgap generate --end 2026-12-06` output"
        );
    }
    let other = tempfile::tempdir().unwrap();
    revgap(&[
        "generate",
        "--end",
        "2026-12-06",
        "--seed",
        "43",
        "--out",
        other.path().to_str().unwrap(),
    ]);
    assert_ne!(
        std::fs::read(other.path().join("weekly_spend.csv")).unwrap(),
        std::fs::read(repo_data.join("weekly_spend.csv")).unwrap()
    );
}

/// A usage error is one line that says what is missing or what was probably meant.
#[test]
fn usage_errors_name_what_is_missing_and_suggest_what_was_meant() {
    let line = |args: &[&str]| {
        let output = revgap(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        stderr.trim_end().to_string()
    };
    assert_eq!(
        line(&["fit"]),
        "revgap: error: the following required arguments were not provided: --calibration-end <DATE> (see --help)"
    );
    assert!(line(&["campaign", "create", "--top", "5"]).contains("not provided: --name <NAME>"),);
    assert!(line(&["campaign", "send", "1"]).contains("--webhook <URL>|--smtp <URL>"));
    assert_eq!(
        line(&["analyze", "--weeky", "x.csv"]),
        "revgap: error: unexpected argument '--weeky' found; did you mean --weekly? (see --help)"
    );
    assert_eq!(
        line(&["analyse"]),
        "revgap: error: unrecognized subcommand 'analyse'; did you mean analyze? (see --help)"
    );
}

/// Every format and file a command writes is in its help.
#[test]
fn help_lists_every_format_and_file() {
    let help = |args: &[&str]| String::from_utf8(revgap(args).stdout).unwrap();
    let analyze = help(&["analyze", "--help"]);
    for format in ["markdown", "JSON", "JSON lines", "CSV", "Parquet"] {
        assert!(analyze.contains(format), "{format}: {analyze}");
    }
    let generate = help(&["generate", "--help"]);
    for file in [
        "weekly_spend.csv",
        "customers.csv",
        "contacts.csv",
        "truth.csv",
    ] {
        assert!(generate.contains(file), "{file}: {generate}");
    }
    let top = help(&["--help"]);
    assert!(top.contains("JSON lines, CSV or Parquet"), "{top}");
}

/// Named spend files bring the customers and contacts files beside them, as in the explorer,
/// and the report says which customers file it read.
#[test]
fn files_beside_a_named_spend_file_are_used_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("elsewhere");
    let made = revgap(&[
        "generate",
        "--customers",
        "300",
        "--weeks",
        "30",
        "--seed",
        "3",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(made.status.success());
    let weekly = data.join("weekly_spend.csv");
    let report = common::json(&[
        "analyze",
        "--weekly",
        weekly.to_str().unwrap(),
        "--format",
        "json",
        "--top",
        "3",
    ]);
    let customers = data.join("customers.csv");
    assert_eq!(report["customers_source"], customers.to_str().unwrap());
    assert!(
        report["customers"][0]["attributes"]["age"].is_u64(),
        "{report}"
    );
    let markdown = String::from_utf8(
        revgap(&[
            "analyze",
            "--weekly",
            weekly.to_str().unwrap(),
            "--top",
            "1",
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        markdown.contains(&format!("; customers from {}", customers.display())),
        "{markdown}"
    );
    // No customers file anywhere: none is claimed.
    let alone = dir.path().join("alone.csv");
    std::fs::copy(&weekly, &alone).unwrap();
    let report = common::json(&[
        "analyze",
        "--weekly",
        alone.to_str().unwrap(),
        "--format",
        "json",
        "--top",
        "1",
    ]);
    assert!(report["customers_source"].is_null());
    // campaign create finds contacts.csv beside the spend file too.
    let db = dir.path().join("ledger.sqlite");
    let created = common::json(&[
        "campaign",
        "create",
        "--name",
        "Beside",
        "--weekly",
        weekly.to_str().unwrap(),
        "--top",
        "100",
        "--no-control",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(created["treated"].as_u64().unwrap() > 0, "{created}");
}
