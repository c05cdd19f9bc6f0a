//! `revgap tune`: the suggested configuration loads and reproduces the figures it was
//! suggested with, the gain is measured on customers the search never saw, nothing changes
//! unless the user loads it, and data too short for a backtest are one clear line.

mod common;

use common::{json, revgap};

fn generated(dir: &std::path::Path, weeks: &str) -> (String, String) {
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    assert!(
        revgap(&[
            "generate",
            "--customers",
            "2000",
            "--weeks",
            weeks,
            "--seed",
            "8",
            "--out",
            data,
        ])
        .status
        .success()
    );
    (
        format!("{data}/weekly_spend.csv"),
        format!("{data}/customers.csv"),
    )
}

#[test]
fn the_suggested_config_loads_and_reproduces_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let (weekly, customers) = generated(dir.path(), "40");
    let suggested = dir.path().join("tuned.toml");
    let suggested = suggested.to_str().unwrap();
    let first = json(&[
        "tune",
        "--weekly",
        &weekly,
        "--customers",
        &customers,
        "--format",
        "json",
        "--out",
        suggested,
    ]);
    assert_eq!(
        first["search_customers"].as_u64().unwrap()
            + first["validation_customers"].as_u64().unwrap(),
        first["customers"].as_u64().unwrap()
    );
    let changes = first["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{first}");
    // The file is the configuration in the report, and it loads with every change in it.
    let written = std::fs::read_to_string(suggested).unwrap();
    assert_eq!(written, first["config"].as_str().unwrap());
    let loaded = revgap::config::Config::from_toml_file(std::path::Path::new(suggested)).unwrap();
    let value_of = |key: &str| -> f64 {
        let table: toml::Table = toml::from_str(&written).unwrap();
        let (section, name) = key.split_once('.').unwrap();
        let value = &table[section][name];
        value
            .as_float()
            .or_else(|| value.as_integer().map(|i| i as f64))
            .unwrap()
    };
    for change in changes {
        let key = change["key"].as_str().unwrap();
        assert_eq!(value_of(key), change["to"].as_f64().unwrap(), "{key}");
        assert_ne!(change["from"], change["to"]);
    }
    assert_ne!(loaded, revgap::config::Config::default());
    // Every metric was measured on both halves, and the search only kept what gained on its
    // own half.
    for half in ["search", "validation"] {
        for metric in [
            "gap_auc",
            "gap_precision_top10",
            "churn_auc",
            "churn_precision_top10",
        ] {
            let value = first["suggested"][half][metric].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&value), "{half}.{metric} = {value}");
        }
    }
    assert!(
        first["suggested"]["search"]["gap_auc"].as_f64().unwrap()
            > first["current"]["search"]["gap_auc"].as_f64().unwrap()
            || changes
                .iter()
                .all(|c| c["key"].as_str().unwrap().starts_with("churn."))
    );

    // Tuning again from the suggestion starts where the first run ended.
    let second = json(&[
        "tune",
        "--weekly",
        &weekly,
        "--customers",
        &customers,
        "--config",
        suggested,
        "--format",
        "json",
    ]);
    assert_eq!(second["current"], first["suggested"]);

    // Nothing changed for a user who did not load it.
    let text =
        String::from_utf8(revgap(&["tune", "--weekly", &weekly, "--customers", &customers]).stdout)
            .unwrap();
    assert!(text.contains("gap ranking AUC (declined)"), "{text}");
    assert!(
        text.contains("# Suggested configuration: nothing changes unless you load it"),
        "{text}"
    );
    let analyzed = |extra: &[&str]| {
        let mut args = vec![
            "analyze",
            "--weekly",
            &weekly,
            "--customers",
            &customers,
            "--format",
            "json",
        ];
        args.extend(extra);
        let mut report = json(&args);
        report.as_object_mut().unwrap().remove("generated_at");
        report
    };
    let default_report = analyzed(&[]);
    assert_ne!(default_report, analyzed(&["--config", suggested]));
    assert_eq!(default_report, analyzed(&[]));
}

#[test]
fn data_shorter_than_the_holdout_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let (weekly, _) = generated(dir.path(), "12");
    let output = revgap(&["tune", "--weekly", &weekly]);
    assert_eq!(output.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "revgap: error: tune needs weeks before the holdout: the data have 12 weeks and the holdout is 13 (--horizon-weeks)"
    );
    let written = dir.path().join("never.toml");
    let output = revgap(&[
        "tune",
        "--weekly",
        &weekly,
        "--horizon-weeks",
        "4",
        "--out",
        written.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(written.exists());
}
