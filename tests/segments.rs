//! Segments and cohorts through the real binary: the fixed JSON names outside scripts rely
//! on, summaries that add up exactly to the analysis totals, and cohorts checked against the
//! raw CDNOW log.

mod common;

use common::{json, revgap};

fn cdnow_flags() -> Vec<String> {
    let mut flags = vec![
        "--transactions".to_string(),
        common::fixture("cdnow/CDNOW_sample.txt")
            .display()
            .to_string(),
    ];
    flags.extend(common::CDNOW_FLAGS.iter().map(|f| f.to_string()));
    flags
}

fn run_json(args: &[String]) -> serde_json::Value {
    json(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn segments_json_has_the_fixed_names() {
    let report = json(&["segments", "--by", "value_tier", "--format", "json"]);
    assert_eq!(report["dimensions"], serde_json::json!(["value_tier"]));
    let segments = report["segments"].as_array().unwrap();
    let tiers: Vec<&str> = segments
        .iter()
        .map(|s| s["key"]["value_tier"].as_str().unwrap())
        .collect();
    let mut sorted = tiers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["high", "low", "medium"]);
    for segment in segments {
        let mut keys: Vec<&str> = segment
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "churn_risk_customers",
                "customers",
                "customers_with_gaps",
                "key",
                "potential_recovery",
                "revenue_gap"
            ]
        );
    }
    // Largest revenue gap first.
    let gaps: Vec<f64> = segments
        .iter()
        .map(|s| s["revenue_gap"].as_f64().unwrap())
        .collect();
    assert!(gaps.windows(2).all(|w| w[0] >= w[1]), "{gaps:?}");
}

/// Sums a field over the segment rows.
fn total(segments: &serde_json::Value, field: &str) -> f64 {
    segments["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[field].as_f64().unwrap())
        .sum()
}

#[test]
fn segment_summaries_add_up_to_the_report_totals() {
    for data in [Vec::new(), cdnow_flags()] {
        let mut analyze = vec!["analyze".to_string(), "--format".into(), "json".into()];
        analyze.extend(data.clone());
        let summary = run_json(&analyze)["summary"].clone();
        for by in [
            "value_tier",
            "lifecycle",
            "rfm",
            "lifecycle,value_tier,frequency_band",
        ] {
            let mut args = vec![
                "segments".to_string(),
                "--by".into(),
                by.into(),
                "--format".into(),
                "json".into(),
            ];
            args.extend(data.clone());
            let segments = run_json(&args);
            let rows = segments["segments"].as_array().unwrap().len() as f64;
            assert_eq!(
                total(&segments, "customers"),
                summary["customers_analyzed"].as_f64().unwrap(),
                "{by}"
            );
            assert_eq!(
                total(&segments, "customers_with_gaps"),
                summary["customers_with_gaps"].as_f64().unwrap(),
                "{by}"
            );
            assert_eq!(
                total(&segments, "churn_risk_customers"),
                summary["churn_risk_customers"].as_f64().unwrap(),
                "{by}"
            );
            // Money is in cents that add up to the report's totals to the cent.
            assert!(rows > 1.0);
            let cents = |value: f64| (value * 100.0).round() as i64;
            for (field, total_field) in [
                ("revenue_gap", "total_revenue_gap"),
                ("potential_recovery", "potential_recovery_revenue"),
            ] {
                let summed: i64 = segments["segments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| {
                        let value = row[field].as_f64().unwrap();
                        assert_eq!(value, cents(value) as f64 / 100.0, "whole cents");
                        cents(value)
                    })
                    .sum();
                assert_eq!(
                    summed,
                    cents(summary[total_field].as_f64().unwrap()),
                    "{by} {field}"
                );
            }
        }
    }
}

#[test]
fn extra_customer_columns_are_dimensions_and_unknown_ones_are_named() {
    let report = json(&["segments", "--by", "region,loyalty", "--format", "json"]);
    assert_eq!(
        report["dimensions"],
        serde_json::json!(["region", "loyalty"])
    );
    assert!(
        report["segments"][0]["key"]["region"].is_string(),
        "{report}"
    );
    // Seasonality exists only with two years of data (the original's 12 weeks have none): a
    // clear line, not a crash.
    let seed = common::fixture("seed/retail_weekly_sales.csv");
    let output = revgap(&[
        "segments",
        "--by",
        "seasonality",
        "--weekly",
        seed.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no 'seasonality' segments"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
    let output = revgap(&["segments", "--by", "colour"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown segment dimension 'colour'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("value_tier"),
        "the known ones are listed: {stderr}"
    );
}

#[test]
fn every_customer_in_the_json_report_carries_segments_and_its_baseline() {
    let report = json(&["analyze", "--format", "json", "--top", "5"]);
    for customer in report["customers"].as_array().unwrap() {
        let segments = customer["segments"].as_object().unwrap();
        for dimension in [
            "value_tier",
            "lifecycle",
            "rfm",
            "age_band",
            "household",
            "loyalty",
        ] {
            assert!(segments[dimension].is_string(), "{dimension}: {customer}");
        }
        // Two years of data: the seasonal baseline.
        assert_eq!(customer["baseline_kind"], "seasonal");
    }
}

#[test]
fn cohorts_json_has_the_fixed_names_and_matches_the_raw_log() {
    let mut args = vec![
        "cohorts".to_string(),
        "--period".into(),
        "month".into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(cdnow_flags());
    let report = run_json(&args);
    assert_eq!(report["period"], "month");
    // Independently from the raw file: customers by the month of their first purchase, and
    // distinct buyers and revenue per (cohort, months since).
    let text = std::fs::read_to_string(common::fixture("cdnow/CDNOW_sample.txt")).unwrap();
    let mut rows: Vec<(String, u32, f64)> = text
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Some((f[1].to_string(), f[2].parse().ok()?, f[4].parse().ok()?))
        })
        .collect();
    rows.sort_by_key(|r| r.1);
    let month = |date: u32| (date / 10000) * 12 + (date / 100 % 100) - 1;
    let mut first: std::collections::HashMap<String, u32> = Default::default();
    for (id, date, _) in &rows {
        first.entry(id.clone()).or_insert(month(*date));
    }
    let cohorts = report["cohorts"].as_array().unwrap();
    let labels: Vec<&str> = cohorts
        .iter()
        .map(|c| c["cohort"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["1997-01", "1997-02", "1997-03"]);
    for cohort in cohorts {
        let label = cohort["cohort"].as_str().unwrap();
        let index = 1997 * 12 + label[5..].parse::<u32>().unwrap() - 1;
        let members: Vec<&String> = first
            .iter()
            .filter(|(_, m)| **m == index)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(cohort["size"], members.len(), "{label}");
        let shares = cohort["active_share"].as_array().unwrap();
        let revenue = cohort["revenue_per_member"].as_array().unwrap();
        assert_eq!(shares.len(), revenue.len());
        // The data end in June 1998: 1997-01 is followed for 18 months.
        assert_eq!(shares.len() as u32, 1998 * 12 + 5 - index + 1, "{label}");
        assert_eq!(shares[0], 1.0, "everyone buys in their first month");
        for since in [1usize, 6, 12] {
            let buyers: std::collections::HashSet<&String> = rows
                .iter()
                .filter(|(id, date, _)| first[id] == index && month(*date) == index + since as u32)
                .map(|(id, _, _)| id)
                .collect();
            let expected = buyers.len() as f64 / members.len() as f64;
            let share = shares[since].as_f64().unwrap();
            assert!(
                (share - expected).abs() < 5e-5,
                "{label} +{since}: {share} vs {expected}"
            );
            let spent: f64 = rows
                .iter()
                .filter(|(id, date, _)| first[id] == index && month(*date) == index + since as u32)
                .map(|r| r.2)
                .sum();
            let per_member = revenue[since].as_f64().unwrap();
            assert!(
                (per_member - spent / members.len() as f64).abs() < 0.006,
                "{label}"
            );
        }
    }
    let sizes: u64 = cohorts.iter().map(|c| c["size"].as_u64().unwrap()).sum();
    assert_eq!(sizes, 2357, "cohorts add up to every customer");
}

#[test]
fn cohort_markdown_and_csv_show_the_chosen_metric() {
    let mut args = vec!["cohorts".to_string(), "--period".into(), "quarter".into()];
    args.extend(cdnow_flags());
    let output = revgap(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let markdown = String::from_utf8_lossy(&output.stdout);
    assert!(
        markdown.contains("| 1997-Q1 | 2,357 | 100.0% |"),
        "{markdown}"
    );
    args.extend(["--metric".into(), "revenue".into()]);
    let output = revgap(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let markdown = String::from_utf8_lossy(&output.stdout);
    assert!(markdown.contains("| 1997-Q1 | 2,357 | $"), "{markdown}");
    args.extend(["--format".into(), "csv".into()]);
    let output = revgap(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let csv = String::from_utf8_lossy(&output.stdout);
    assert!(
        csv.starts_with(
            "cohort,size,periods_since,active_share,revenue_per_member\n1997-Q1,2357,0,1,"
        ),
        "{csv}"
    );
}

#[test]
fn a_segment_rule_tightens_thresholds_for_its_segment_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rules.toml");
    std::fs::write(
        &config,
        "[[segments.rules]]\ndimension = \"value_tier\"\nlabel = \"high\"\ndeclining_revenue_pct = -5.0\nbelow_baseline_pct = -8.0\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let plain = json(&["segments", "--by", "value_tier", "--format", "json"]);
    let ruled = json(&[
        "segments",
        "--by",
        "value_tier",
        "--format",
        "json",
        "--config",
        config,
    ]);
    let gaps_of = |report: &serde_json::Value, tier: &str| {
        report["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"]["value_tier"] == tier)
            .unwrap()["customers_with_gaps"]
            .as_u64()
            .unwrap()
    };
    assert!(
        gaps_of(&ruled, "high") > gaps_of(&plain, "high"),
        "tighter thresholds flag more"
    );
    assert_eq!(
        gaps_of(&ruled, "low"),
        gaps_of(&plain, "low"),
        "other tiers are untouched"
    );
    let report = json(&[
        "analyze",
        "--format",
        "json",
        "--with-rationale",
        "--config",
        config,
    ]);
    let high = report["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["segments"]["value_tier"] == "high")
        .unwrap();
    let text = high["rationale"]["text"].as_str().unwrap();
    assert!(
        text.contains(
            "Segment rule applied (value_tier = high: decline below -5%, latest week below -8%)"
        ),
        "{text}"
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[segments.rules]]\ndimension = \"value_tier\"\nlabel = \"high\"\ndeclining_revenue_pct = 5.0\n",
    )
    .unwrap();
    let output = revgap(&["analyze", "--config", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(78));
}

#[test]
fn a_segment_rule_gives_its_segment_its_own_actions() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("actions.toml");
    std::fs::write(
        &config,
        "[[segments.rules]]\ndimension = \"value_tier\"\nlabel = \"high\"\nactions = [\"personal_call\", \"vip_offer\"]\n",
    )
    .unwrap();
    let report = json(&[
        "analyze",
        "--format",
        "json",
        "--with-rationale",
        "--config",
        config.to_str().unwrap(),
    ]);
    let customers = report["customers"].as_array().unwrap();
    let (high, other): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) = customers
        .iter()
        .filter(|c| c["opportunity"].is_object())
        .partition(|c| c["segments"]["value_tier"] == "high");
    assert!(!high.is_empty() && !other.is_empty());
    for customer in &high {
        assert_eq!(
            customer["opportunity"]["actions"],
            serde_json::json!(["personal_call", "vip_offer"])
        );
        let text = customer["rationale"]["text"].as_str().unwrap();
        assert!(
            text.contains("value_tier = high: its own actions"),
            "{text}"
        );
    }
    for customer in &other {
        let actions = customer["opportunity"]["actions"].as_array().unwrap();
        assert!(!actions.contains(&serde_json::json!("vip_offer")));
    }
    let markdown =
        String::from_utf8(revgap(&["analyze", "--config", config.to_str().unwrap()]).stdout)
            .unwrap();
    assert!(markdown.contains("personal call, vip offer"), "{markdown}");
}

#[test]
fn segment_rule_and_peer_settings_are_checked_for_meaning() {
    for (text, expected) in [
        (
            "[[segments.rules]]\ndimension = \"value_tier\"\nlabel = \"high\"\nactions = [\"Call Them!\"]\n",
            "segments.rules.actions: \"Call Them!\": expected a snake_case action name",
        ),
        (
            "[[segments.rules]]\ndimension = \"value_tier\"\nlabel = \"high\"\nactions = []\n",
            "segments.rules.actions must not be empty",
        ),
        (
            "[[segments.rules]]\ndimension = \"colour\"\nlabel = \"red\"\n",
            "segments.rules.dimension = \"colour\": expected a segment dimension",
        ),
        (
            "[peers]\ndimension = \"shoe_size\"\n",
            "peers.dimension = \"shoe_size\": expected a segment dimension",
        ),
        ("[peers]\nbelow_pct = 20.0\n", "peers.below_pct = 20"),
        (
            "[peers]\nbelow_pct = -80.0\nhigh_severity_pct = -60.0\n",
            "peers.high_severity_pct must not be above peers.below_pct",
        ),
        ("[peers]\nmin_group = 1\n", "peers.min_group = 1"),
        ("[peers]\nwindow_weeks = 0\n", "peers.window_weeks = 0"),
    ] {
        common::assert_config_rejected(text, expected);
    }
}
