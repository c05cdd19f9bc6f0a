//! Is it just the season? Generated data with a known truth (two years of holiday peaks and
//! January dips, steady shoppers, and late decliners), analysed in late January: the seasonal
//! baseline must keep false alarms on seasonal and steady shoppers at or under 5 % and still
//! catch at least 90 % of the true decliners; the original's baseline, which compares January
//! with the first weeks of history, flags most seasonal shoppers.

mod common;

use std::collections::HashSet;

struct Scores {
    false_alarms: f64,
    caught: f64,
}

fn score(report: &serde_json::Value, truth: &str) -> Scores {
    let mut declining = HashSet::new();
    let mut steady_or_seasonal = HashSet::new();
    for line in truth.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields[2] == "true" {
            declining.insert(fields[0].to_string());
        } else {
            steady_or_seasonal.insert(fields[0].to_string());
        }
    }
    let customers = report["customers"].as_array().unwrap();
    let high: HashSet<String> = customers
        .iter()
        .filter(|c| c["primary_gap"]["severity"] == "high")
        .map(|c| c["customer_id"].as_str().unwrap().to_string())
        .collect();
    let flagged: HashSet<String> = customers
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap().to_string())
        .collect();
    Scores {
        false_alarms: high.intersection(&steady_or_seasonal).count() as f64
            / steady_or_seasonal.len() as f64,
        caught: flagged.intersection(&declining).count() as f64 / declining.len() as f64,
    }
}

#[test]
fn the_seasonal_baseline_tells_the_season_from_a_decline() {
    // Several seeds: the targets hold for the process, not for one lucky draw.
    for seed in ["42", "1", "2"] {
        check_seed(seed);
    }
}

fn check_seed(seed: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let generated = common::revgap(&[
        "generate",
        "--seed",
        seed,
        "--seasonal",
        "--customers",
        "3000",
        "--weeks",
        "104",
        "--out",
        out,
    ]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let truth = std::fs::read_to_string(dir.path().join("truth.csv")).unwrap();
    let spend = dir.path().join("weekly_spend.csv");
    let spend = spend.to_str().unwrap();
    let seasonal = common::json(&["analyze", "--weekly", spend, "--format", "json"]);
    assert_eq!(seasonal["summary"]["baseline_kind"], "seasonal");
    assert_eq!(seasonal["customers"][0]["baseline_kind"], "seasonal");
    let with_season = score(&seasonal, &truth);
    eprintln!(
        "seed {seed}: seasonal baseline: false alarms {:.3}, decliners caught {:.3}",
        with_season.false_alarms, with_season.caught
    );
    assert!(
        with_season.false_alarms <= 0.05,
        "{}",
        with_season.false_alarms
    );
    assert!(with_season.caught >= 0.90, "{}", with_season.caught);
    let original = common::json(&[
        "analyze",
        "--weekly",
        spend,
        "--format",
        "json",
        "--baseline",
        "original",
    ]);
    assert_eq!(original["summary"]["baseline_kind"], "original");
    let without = score(&original, &truth);
    eprintln!(
        "original baseline: false alarms {:.3}",
        without.false_alarms
    );
    assert!(without.false_alarms > 0.3, "{}", without.false_alarms);
}

#[test]
fn seasonal_data_need_two_years() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::revgap(&[
        "generate",
        "--seasonal",
        "--weeks",
        "60",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--weeks 104 or more"));
}

#[test]
fn short_data_keep_the_original_baseline_and_its_counts() {
    // The original's shape, 12 weeks: too short for a season.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let generated = common::revgap(&["generate", "--shape", "original", "--out", out]);
    assert!(generated.status.success());
    let spend = dir.path().join("weekly_spend.csv");
    let report = common::json(&[
        "analyze",
        "--format",
        "json",
        "--churn-model",
        "rules",
        "--weekly",
        spend.to_str().unwrap(),
    ]);
    assert_eq!(report["summary"]["baseline_kind"], "original");
    assert_eq!(report["summary"]["customers_with_gaps"], 150);
}

/// A panel of 20 weeks from 2025-07-05 where every week is 100 but those given.
fn panel(dir: &std::path::Path, name: &str, overrides: &[(usize, f64)]) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 5).unwrap();
    let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
    for week in 0..20usize {
        let value = overrides
            .iter()
            .find(|(w, _)| *w == week)
            .map_or(100.0, |(_, v)| *v);
        let day = start + chrono::Days::new(7 * week as u64);
        text.push_str(&format!("c1,{day},{value}\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn primary(report: &serde_json::Value) -> Option<String> {
    report["customers"]
        .as_array()
        .unwrap()
        .first()
        .map(|c| c["primary_gap"]["type"].as_str().unwrap().to_string())
}

#[test]
fn the_calendar_moves_expected_spend() {
    let dir = tempfile::tempdir().unwrap();
    // A promotion in the latest week (2025-11-15): the usual 100 is a gap, as 150 was expected.
    let promo = dir.path().join("promo.toml");
    std::fs::write(
        &promo,
        "[[calendar.events]]\nname = \"Promo\"\nstart = \"2025-11-15\"\nend = \"2025-11-21\"\nlift = 1.5\n",
    )
    .unwrap();
    let flat = panel(dir.path(), "flat.csv", &[]);
    let plain = common::json(&["analyze", "--weekly", &flat, "--format", "json"]);
    assert_eq!(primary(&plain), None, "no event, no gap");
    // The original's rules judge the latest week against the calendar's expectation…
    let with_promo = common::json(&[
        "analyze",
        "--weekly",
        &flat,
        "--format",
        "json",
        "--churn-model",
        "rules",
        "--config",
        promo.to_str().unwrap(),
    ]);
    assert_eq!(primary(&with_promo).as_deref(), Some("below_baseline"));
    // …and the model's shortfall expects the promotion's lift too.
    let modelled = common::json(&[
        "analyze",
        "--weekly",
        &flat,
        "--format",
        "json",
        "--config",
        promo.to_str().unwrap(),
    ]);
    assert_eq!(primary(&modelled).as_deref(), Some("declining_revenue"));
    // The week after a sale dips to 60 %: expected, so not a gap (without the calendar it is).
    let sale = dir.path().join("sale.toml");
    std::fs::write(
        &sale,
        "[[calendar.events]]\nname = \"Sale\"\nstart = \"2025-11-08\"\nend = \"2025-11-14\"\nlift = 1.5\nafter_weeks = 1\nafter_lift = 0.6\n",
    )
    .unwrap();
    let dip = panel(dir.path(), "dip.csv", &[(18, 150.0), (19, 60.0)]);
    let plain = common::json(&[
        "analyze",
        "--weekly",
        &dip,
        "--format",
        "json",
        "--churn-model",
        "rules",
    ]);
    assert_eq!(primary(&plain).as_deref(), Some("below_baseline"));
    let with_sale = common::json(&[
        "analyze",
        "--weekly",
        &dip,
        "--format",
        "json",
        "--churn-model",
        "rules",
        "--config",
        sale.to_str().unwrap(),
    ]);
    assert_eq!(
        primary(&with_sale),
        None,
        "the dip after a sale is expected"
    );
}

/// The spend forecast's interval holds its nominal coverage on data with a known process (a
/// quiet stretch of the year, where the process is the generator's noise), over two seeds;
/// `revgap backtest` reports coverage and error next to the naive forecast.
#[test]
fn the_spend_forecast_interval_covers_about_as_promised() {
    for seed in ["42", "1"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap();
        let generated = common::revgap(&[
            "generate",
            "--seasonal",
            "--seed",
            seed,
            "--customers",
            "3000",
            "--weeks",
            "117",
            "--out",
            out,
        ]);
        assert!(generated.status.success());
        let spend = dir.path().join("weekly_spend.csv");
        let report = common::json(&[
            "backtest",
            "--weekly",
            spend.to_str().unwrap(),
            "--calibration-end",
            "2025-06-27",
            "--horizon-weeks",
            "4",
            "--format",
            "json",
        ]);
        assert_eq!(report["forecast_customers"], 3000);
        let coverage = report["forecast_coverage"].as_f64().unwrap();
        eprintln!("seed {seed}: forecast coverage {coverage:.3} (nominal 0.90)");
        assert!((0.85..=0.95).contains(&coverage), "seed {seed}: {coverage}");
        assert!(report["mae_spend_forecast"].as_f64().unwrap() > 0.0);
        // Every listed customer of an analysis carries the forecast with its interval.
        let analysis = common::json(&[
            "analyze",
            "--weekly",
            spend.to_str().unwrap(),
            "--format",
            "json",
            "--top",
            "3",
        ]);
        for customer in analysis["customers"].as_array().unwrap() {
            let forecast = &customer["forecast"];
            let (low, expected, high) = (
                forecast["low"].as_f64().unwrap(),
                forecast["expected"].as_f64().unwrap(),
                forecast["high"].as_f64().unwrap(),
            );
            assert!(low <= expected && expected <= high, "{forecast}");
            assert_eq!(forecast["weeks"], 4);
        }
    }
}

#[test]
fn seasonal_shoppers_are_told_from_steady_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let generated = common::revgap(&[
        "generate",
        "--seasonal",
        "--customers",
        "2000",
        "--weeks",
        "104",
        "--out",
        out,
    ]);
    assert!(generated.status.success());
    let truth = std::fs::read_to_string(dir.path().join("truth.csv")).unwrap();
    let kind: std::collections::HashMap<String, String> = truth
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0].to_string(), fields[1].to_string())
        })
        .collect();
    let spend = dir.path().join("weekly_spend.csv");
    let report = common::json(&[
        "analyze",
        "--weekly",
        spend.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (mut right, mut judged) = (0, 0);
    for customer in report["customers"].as_array().unwrap() {
        let expected = match kind[customer["customer_id"].as_str().unwrap()].as_str() {
            "seasonal" => "seasonal shopper",
            "steady" => "steady",
            _ => continue,
        };
        judged += 1;
        right += usize::from(customer["segments"]["seasonality"] == expected);
    }
    assert!(judged > 100, "{judged}");
    assert!(right as f64 >= 0.95 * judged as f64, "{right} of {judged}");
    // Short data have no seasonal profile, so no seasonality dimension.
    let seed = common::fixture("seed/retail_weekly_sales.csv");
    let short = common::json(&[
        "analyze",
        "--format",
        "json",
        "--top",
        "1",
        "--weekly",
        seed.to_str().unwrap(),
    ]);
    assert!(short["customers"][0]["segments"]["seasonality"].is_null());
}
