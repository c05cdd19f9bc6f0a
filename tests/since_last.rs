//! "What changed": each analyze run keeps a snapshot of its data source, and `--since-last`
//! lists the customers with a new gap, a worse one, or none any more, against what the two
//! full reports say; the first run says it is the baseline.

mod common;

use std::collections::{HashMap, HashSet};

fn run(state: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::command()
        .args(args)
        .env("REVGAP_STATE_DIR", state)
        .output()
        .unwrap()
}

fn generate(out: &std::path::Path, seed: &str) {
    let output = common::revgap(&[
        "generate",
        "--customers",
        "600",
        "--weeks",
        "16",
        "--seed",
        seed,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success());
}

/// Ranked ids with (severity rank, |gap|) from a full JSON report.
fn ranked(report: &serde_json::Value) -> HashMap<String, (u8, f64)> {
    report["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let gap = &c["primary_gap"];
            let severity = match gap["severity"].as_str().unwrap() {
                "high" => 3,
                "medium" => 2,
                _ => 1,
            };
            (
                c["customer_id"].as_str().unwrap().to_string(),
                (severity, gap["gap_amount"].as_f64().unwrap().abs()),
            )
        })
        .collect()
}

#[test]
fn since_last_lists_new_worsened_and_recovered_customers() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let data = dir.path().join("data");
    let weekly = data.join("weekly_spend.csv");
    let weekly = weekly.to_str().unwrap();
    let report = |state: &std::path::Path| {
        let output = run(
            state,
            &[
                "analyze",
                "--weekly",
                weekly,
                "--format",
                "json",
                "--no-snapshot",
            ],
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };

    generate(&data, "1");
    let before = ranked(&report(&state));
    assert!(
        !state.exists(),
        "--no-snapshot leaves the state directory alone"
    );
    let first = run(&state, &["analyze", "--weekly", weekly, "--since-last"]);
    assert!(first.status.success());
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("No earlier run of"), "{text}");
    assert!(text.contains("this run is the baseline"), "{text}");
    #[cfg(unix)]
    for entry in std::fs::read_dir(&state).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let mode = entry.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "snapshots hold customer ids");
    }

    // The same file, newer data.
    generate(&data, "2");
    let after = ranked(&report(&state));
    let output = run(
        &state,
        &[
            "analyze",
            "--weekly",
            weekly,
            "--since-last",
            "--format",
            "json",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let changes: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids = |key: &str| -> HashSet<String> {
        changes["changes"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["customer_id"].as_str().unwrap().to_string())
            .collect()
    };
    let expected_new: HashSet<String> = after
        .keys()
        .filter(|id| !before.contains_key(*id))
        .cloned()
        .collect();
    let expected_recovered: HashSet<String> = before
        .keys()
        .filter(|id| !after.contains_key(*id))
        .cloned()
        .collect();
    let expected_worse: HashSet<String> = after
        .iter()
        .filter(|(id, now)| {
            before
                .get(*id)
                .is_some_and(|old| now.0 > old.0 || now.1 >= old.1 * 1.10 + 0.005)
        })
        .map(|(id, _)| id.clone())
        .collect();
    assert!(!expected_new.is_empty() && !expected_recovered.is_empty());
    assert_eq!(ids("new"), expected_new);
    assert_eq!(ids("recovered"), expected_recovered);
    assert_eq!(ids("worsened"), expected_worse);
    let unchanged = changes["changes"]["unchanged"].as_u64().unwrap() as usize;
    assert_eq!(
        unchanged + expected_new.len() + expected_worse.len(),
        after.len()
    );
    let runs = changes["changes"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0]["customers_with_gaps"].as_u64().unwrap() as usize,
        before.len()
    );
    assert_eq!(
        runs[1]["customers_with_gaps"].as_u64().unwrap() as usize,
        after.len()
    );

    // The same data again (a nightly run, then the explorer): the changes are still counted
    // against the results before they last changed, and the trend has three runs.
    let again = run(&state, &["analyze", "--weekly", weekly, "--since-last"]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains(&format!("- **New gaps:** {}", expected_new.len())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "- **Recovered** (no gap now): {}",
            expected_recovered.len()
        )),
        "{text}"
    );
    assert!(text.contains("across 3 run(s):"), "{text}");
    let since = changes["since"]["taken_at"].as_str().unwrap();
    assert!(text.contains(&format!("since {since}")), "{text}");
}
