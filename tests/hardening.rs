//! One test per defect of the hardening issue that the hostile corpus (`tests/hostile.rs`) does
//! not already pin by name: wrong numbers on transaction logs, the model path, count-only
//! units, spreadsheet formulas, atomic and private files, and clear load messages.
//! Corpus cases cover: multi-line fields (2), 1e308 (3), NUL ids (4), config meaning (5, 8),
//! outlier dates (7), endless lines (9), duplicate headers, --as-of and --id-col (18), no data
//! (19). Secrets and model answers (13, 15, 21) are in `tests/llm_client.rs`; signals, quit
//! while loading and the load-error view (10–12) in `tests/tui_e2e.rs`.

mod common;

use common::{json, revgap};

fn cdnow(extra: &[&str]) -> Vec<String> {
    let path = common::fixture("cdnow/CDNOW_sample.txt");
    let mut args = vec![
        "analyze".to_string(),
        "--transactions".into(),
        path.display().to_string(),
    ];
    args.extend(common::CDNOW_FLAGS.iter().map(|a| a.to_string()));
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

fn cdnow_json(extra: &[&str]) -> serde_json::Value {
    let mut args = cdnow(extra);
    args.extend(["--format".into(), "json".into()]);
    json(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn item_01_a_customers_history_starts_at_their_first_purchase() {
    let report = cdnow_json(&[]);
    let customers = report["customers"].as_array().unwrap();
    assert!(!customers.is_empty());
    for customer in customers {
        let gap = &customer["primary_gap"];
        let id = &customer["customer_id"];
        // The file's first weeks gave 1,663 gaps an expected spend of $0.
        assert!(gap["expected"].as_f64().unwrap() > 0.0, "{id}: $0 baseline");
        // 24 "gaps" were spend above expectation.
        assert!(gap["gap_amount"].as_f64().unwrap() < 0.0, "{id}: not a gap");
        for secondary in customer["secondary_gaps"].as_array().unwrap() {
            assert!(secondary["gap_amount"].as_f64().unwrap() < 0.0, "{id}");
        }
    }
    // Customer 1203 bought 4 days before the end: never a "zero spend, win back" case.
    assert!(
        customers
            .iter()
            .filter(|c| c["customer_id"] == "1203")
            .all(|c| c["primary_gap"]["type"] != "zero_spend")
    );
    let new = report["summary"]["new_customers"].as_u64().unwrap();
    assert!(
        new > 0,
        "customers with too little history are counted as new"
    );
    // The total never includes spend above expectation.
    let total: f64 = customers
        .iter()
        .map(|c| c["primary_gap"]["gap_amount"].as_f64().unwrap().abs())
        .sum();
    let reported = report["summary"]["total_revenue_gap"].as_f64().unwrap();
    assert!((total - reported).abs() < 0.01 * customers.len() as f64);
}

#[test]
fn item_01_customers_who_first_buy_after_as_of_do_not_exist() {
    let cut = "1997-02-15";
    let report = cdnow_json(&["--as-of", cut]);
    let text = std::fs::read_to_string(common::fixture("cdnow/CDNOW_sample.txt")).unwrap();
    let mut existing = std::collections::HashSet::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() >= 3 && fields[2] <= "19970215" {
            existing.insert(fields[1].to_string());
        }
    }
    assert_eq!(
        report["summary"]["customers_analyzed"].as_u64().unwrap() as usize,
        existing.len()
    );
    // Six weeks after the first purchases began, every customer is too new to judge.
    assert_eq!(
        report["summary"]["new_customers"],
        report["summary"]["customers_analyzed"]
    );
    assert_eq!(report["summary"]["customers_with_gaps"], 0);
}

/// A log of customers who never drop out (the NBD model): BG/NBD's dropout parameter goes to
/// its boundary, a legitimate fit that `analyze` once refused while `backtest` used it.
fn steady_log(dir: &std::path::Path) -> std::path::PathBuf {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(11);
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut text = String::from("customer_id,date,amount\n");
    for customer in 0..1500 {
        // Gamma-ish heterogeneity: a rate from 0.02 to 0.6 purchases a week.
        let rate: f64 = 0.02 + 0.58 * rng.random::<f64>().powi(2);
        let first: u64 = rng.random_range(0..20);
        let mut week = first as f64;
        while week < 78.0 {
            let day = start + chrono::Days::new((week * 7.0) as u64);
            text.push_str(&format!(
                "c{customer},{day},{:.2}\n",
                10.0 + 40.0 * rng.random::<f64>()
            ));
            let wait: f64 = -rng.random::<f64>().max(1e-12).ln() / rate;
            week += wait.max(1.0 / 7.0);
        }
    }
    let path = dir.join("steady.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn item_01_analyze_and_fit_share_one_fitting_path() {
    let dir = tempfile::tempdir().unwrap();
    let log = steady_log(dir.path());
    let config = dir.path().join("model.toml");
    std::fs::write(&config, "[model]\nchurn_model = \"bgnbd\"\n").unwrap();
    let log_path = log.to_str().unwrap();
    let report = json(&[
        "analyze",
        "--transactions",
        log_path,
        "--config",
        config.to_str().unwrap(),
        "--as-of",
        "2025-03-01",
        "--format",
        "json",
    ]);
    let model = report["summary"]["churn_model"].as_str().unwrap();
    assert!(model.starts_with("bgnbd"), "analyze fell back: {model}");
    let fit = json(&[
        "fit",
        "--transactions",
        log_path,
        "--calibration-end",
        "2025-03-01",
        "--format",
        "json",
    ]);
    assert!(fit["bgnbd"]["std_errors"].is_object(), "{fit}");
    // Everyone's amounts come from one distribution: no spend heterogeneity for Gamma-Gamma,
    // which is reported as not fitted rather than failing the purchase model with it.
    assert!(fit["gamma_gamma"].is_null(), "{fit}");
    let warning = fit["gamma_gamma_warning"].as_str().unwrap();
    assert!(warning.contains("mean spends hardly differ"), "{warning}");
}

#[test]
fn item_01_a_model_fallback_is_shown_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("model.toml");
    std::fs::write(&config, "[model]\nchurn_model = \"bgnbd\"\n").unwrap();
    // The original's weekly shoppers: BG/NBD cannot describe them.
    let sample = common::fixture("seed/retail_weekly_sales.csv");
    let output = revgap(&[
        "analyze",
        "--weekly",
        sample.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    let markdown = String::from_utf8_lossy(&output.stdout);
    assert!(
        markdown.contains("- **Churn Model:** logistic"),
        "{markdown}"
    );
    assert!(markdown.contains("BG/NBD cannot be used"), "{markdown}");
}

#[test]
fn item_06_count_only_amounts_are_purchases_not_dollars() {
    let path = common::fixture("cdnow/CDNOW_sample.txt");
    let path = path.to_str().unwrap();
    let flags = [
        "--transactions",
        path,
        "--no-header",
        "--delimiter",
        "whitespace",
        "--id-col",
        "2",
        "--date-col",
        "3",
        "--count-only",
    ];
    let mut args = vec!["analyze", "--top", "3"];
    args.extend(flags);
    let output = revgap(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let markdown = String::from_utf8_lossy(&output.stdout);
    assert!(markdown.contains("purchases"), "{markdown}");
    assert!(!markdown.contains('$'), "no dollar amounts: {markdown}");
    let mut args = vec!["analyze", "--format", "json"];
    args.extend(flags);
    let report = json(&args);
    assert_eq!(report["summary"]["value_unit"], "purchases");
}

/// A person who followed the campaign walkthrough has a populated default ledger; the tests'
/// commands never see it (every default place points at the test process's own home).
#[test]
fn a_populated_user_ledger_never_reaches_the_tests() {
    let user = tempfile::tempdir().unwrap();
    let home = user.path();
    let run = |args: &[&str]| {
        let output = common::isolated(home).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let created: serde_json::Value = serde_json::from_slice(
        &run(&[
            "campaign",
            "create",
            "--name",
            "Mine",
            "--top",
            "120",
            "--control",
            "0.5",
            "--format",
            "json",
        ])
        .stdout,
    )
    .unwrap();
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    let out = home.join("export.csv");
    run(&["campaign", "export", &id, "--out", out.to_str().unwrap()]);
    let follow = home.join("follow.csv");
    run(&[
        "campaign",
        "simulate-outcome",
        &id,
        "--effect",
        "12",
        "--weeks",
        "8",
        "--seed",
        "4",
        "--out",
        follow.to_str().unwrap(),
    ]);
    run(&[
        "campaign",
        "measure",
        &id,
        "--weekly",
        follow.to_str().unwrap(),
    ]);
    // The user's own runs read their ledger: the report carries their measured campaigns.
    let theirs = String::from_utf8(run(&["analyze", "--top", "3"]).stdout).unwrap();
    assert!(
        theirs.contains("learned from 1 measured campaign"),
        "{theirs}"
    );
    // A test's command started from that user's environment does not.
    let mut command = std::process::Command::new(common::binary());
    command
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"));
    common::hermetic(&mut command, common::test_home());
    let ours = command.args(["analyze", "--top", "3"]).output().unwrap();
    assert!(ours.status.success());
    let ours = String::from_utf8(ours.stdout).unwrap();
    assert!(!ours.contains("measured campaign"), "{ours}");
    assert!(ours.contains("Executive Summary"), "{ours}");
}

#[test]
fn item_14_csv_cells_cannot_run_as_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let spend = dir.path().join("spend.csv");
    let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
    for week in 0..10u64 {
        let day =
            chrono::NaiveDate::from_ymd_opt(2025, 7, 5).unwrap() + chrono::Days::new(7 * week);
        let value = if week < 8 { 90 } else { 0 };
        text.push_str(&format!("=HYPERLINK(\"http://evil\"),{day},{value}\n"));
        text.push_str(&format!("+1,{day},{value}\n"));
    }
    std::fs::write(&spend, text).unwrap();
    let output = revgap(&[
        "analyze",
        "--weekly",
        spend.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = String::from_utf8_lossy(&output.stdout);
    let ids: Vec<String> = csv
        .lines()
        .skip(2)
        .map(|line| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes());
            reader.records().next().unwrap().unwrap()[1].to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2, "{csv}");
    for id in ids {
        assert!(id.starts_with('\''), "neutralised: {id}");
    }
}

#[test]
fn item_17_a_killed_generator_leaves_the_previous_sample_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let small = revgap(&[
        "generate",
        "--customers",
        "50",
        "--weeks",
        "12",
        "--out",
        out,
    ]);
    assert!(small.status.success());
    let before = std::fs::read(dir.path().join("weekly_spend.csv")).unwrap();
    let mut big = common::command()
        .args([
            "generate",
            "--customers",
            "3000000",
            "--weeks",
            "52",
            "--out",
            out,
        ])
        .spawn()
        .unwrap();
    // Wait (with a deadline) until the new panel is being written, then kill -9.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let writing = loop {
        let temporary = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .is_some_and(|e| e.metadata().is_ok_and(|m| m.len() > 1 << 20));
        if temporary || std::time::Instant::now() > deadline {
            break temporary;
        }
        std::thread::park_timeout(std::time::Duration::from_millis(10));
    };
    big.kill().unwrap();
    big.wait().unwrap();
    assert!(writing, "the generator never started writing");
    assert_eq!(
        std::fs::read(dir.path().join("weekly_spend.csv")).unwrap(),
        before,
        "the old panel is untouched"
    );
}

#[test]
fn item_17_out_may_not_name_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let spend = dir.path().join("spend.csv");
    std::fs::copy(common::fixture("valid/weekly.csv"), &spend).unwrap();
    let before = std::fs::read(&spend).unwrap();
    let output = revgap(&[
        "analyze",
        "--weekly",
        spend.to_str().unwrap(),
        "--out",
        spend.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is the spend file this command reads")
    );
    assert_eq!(std::fs::read(&spend).unwrap(), before);
}

#[test]
fn item_18_customer_file_problems_name_their_reasons() {
    let customers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        customers.path(),
        "customer_id,age,household_size,loyalty_member\n1,-4,2,true\n2,3,1,maybe\n",
    )
    .unwrap();
    let output = revgap(&[
        "analyze",
        "--weekly",
        common::fixture("valid/weekly.csv").to_str().unwrap(),
        "--customers",
        customers.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("skipped 2 bad row(s) (customers file: bad_bool 1, bad_number 1)"),
        "{stderr}"
    );
    assert!(!stderr.contains("()"), "{stderr}");
}

#[test]
fn item_20_no_system_openssl_in_the_build() {
    // rustls with the ring provider: a fresh machine needs neither libssl-dev nor pkg-config.
    let lock = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"),
    )
    .unwrap();
    for system_tls in [
        "name = \"openssl-sys\"",
        "name = \"native-tls\"",
        "name = \"aws-lc-sys\"",
    ] {
        assert!(!lock.contains(system_tls), "{system_tls} is in the build");
    }
}

#[test]
fn write_errors_are_one_line_and_a_closed_pipe_is_quiet() {
    // stdout on a full disk.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = common::command()
        .args(["analyze", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(73));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    // --out naming a device writes to it and never replaces it.
    let output = revgap(&["analyze", "--format", "json", "--out", "/dev/full"]);
    assert_eq!(output.status.code(), Some(73));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    // A missing directory.
    let output = revgap(&["analyze", "--out", "/nonexistent-revgap-dir/r.md"]);
    assert_eq!(output.status.code(), Some(73));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
    // `| head`: the reader goes away; revgap ends quietly with success.
    let mut child = common::command()
        .args(["analyze", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
