//! Which churn model runs: the BG/NBD-based one by default, the original's rules on request
//! (`--churn-model rules` or `[model] churn_model = "rules"`), which reproduce the original's
//! counts on its own data, and the rules as the labelled fallback where BG/NBD does not fit.

mod common;

use common::{CDNOW_FLAGS, fixture, json, revgap};

fn seed_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "analyze",
        "--format",
        "json",
        "--weekly",
        fixture("seed/retail_weekly_sales.csv").to_str().unwrap(),
        "--customers",
        fixture("seed/retail_customers.csv").to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run(args: &[String]) -> serde_json::Value {
    json(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn assert_original_counts(report: &serde_json::Value) {
    let summary = &report["summary"];
    assert_eq!(summary["churn_model"], "rules");
    assert_eq!(summary["gaps_total"], 296);
    assert_eq!(summary["customers_with_gaps"], 164);
    assert_eq!(summary["churn_risk_customers"], 135);
}

#[test]
fn the_rules_flag_reproduces_the_original() {
    assert_original_counts(&run(&seed_args(&["--churn-model", "rules"])));
}

#[test]
fn the_rules_config_reproduces_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rules.toml");
    std::fs::write(&config, "[model]\nchurn_model = \"rules\"\n").unwrap();
    assert_original_counts(&run(&seed_args(&["--config", config.to_str().unwrap()])));
}

#[test]
fn the_flag_overrides_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("model.toml");
    std::fs::write(&config, "[model]\nchurn_model = \"bgnbd\"\n").unwrap();
    assert_original_counts(&run(&seed_args(&[
        "--config",
        config.to_str().unwrap(),
        "--churn-model",
        "rules",
    ])));
}

#[test]
fn the_model_is_the_default_on_a_transaction_log() {
    let mut args = vec!["analyze", "--format", "json", "--transactions"];
    let path = fixture("cdnow/CDNOW_sample.txt");
    args.push(path.to_str().unwrap());
    args.extend(CDNOW_FLAGS);
    let report = json(&args);
    assert_eq!(report["summary"]["churn_model"], "bgnbd+logistic");
    let first = &report["customers"][0];
    assert!(
        first["prediction"]["churn_probability"].is_number(),
        "{first}"
    );
    assert_eq!(
        first["churn"]["probability"], first["prediction"]["churn_probability"],
        "the model's probability is the churn probability"
    );
    assert!(
        first["churn"]["factors"].is_array(),
        "the rules stay as factors"
    );
}

#[test]
fn where_bgnbd_does_not_fit_the_default_learns_without_it_and_says_why() {
    // The original's shoppers buy nearly every week: BG/NBD has no heterogeneity to fit, so
    // the churn model is learned from recency, frequency, age and spend (issue 27, item 1).
    let report = run(&seed_args(&[]));
    let summary = &report["summary"];
    assert_eq!(summary["churn_model"], "logistic", "{summary}");
    let note = summary["churn_model_note"].as_str().unwrap();
    assert!(
        note.starts_with("BG/NBD cannot be used") && note.contains("steady rate"),
        "{note}"
    );
    // Asked for, the rules are the original's, and no note is needed.
    let rules = run(&seed_args(&["--churn-model", "rules"]));
    assert_eq!(rules["summary"]["churn_model"], "rules");
    assert!(rules["summary"].get("churn_model_note").is_none());
    assert_eq!(rules["summary"]["gaps_total"], 296);
}

#[test]
fn with_too_few_customers_to_learn_from_the_rules_are_used_and_named() {
    // Six steady weekly shoppers: BG/NBD cannot describe them and nobody stops.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("six.csv");
    let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
    for customer in 1..=6 {
        for week in 0..20u64 {
            let day =
                chrono::NaiveDate::from_ymd_opt(2025, 1, 4).unwrap() + chrono::Days::new(7 * week);
            text.push_str(&format!(
                "{customer},{day},{}\n",
                40 + customer + (week % 3)
            ));
        }
    }
    std::fs::write(&path, text).unwrap();
    let report = json(&[
        "analyze",
        "--format",
        "json",
        "--weekly",
        path.to_str().unwrap(),
    ]);
    let summary = &report["summary"];
    assert_eq!(summary["churn_model"], "rules", "{summary}");
    assert!(
        summary["churn_model_note"]
            .as_str()
            .unwrap()
            .contains("too few customers who stop and who buy to train a churn model"),
        "{summary}"
    );
}

#[test]
fn an_unknown_model_is_a_one_line_error() {
    let output = revgap(&["analyze", "--churn-model", "neural"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--churn-model") && stderr.contains("rules"),
        "{stderr}"
    );
}
