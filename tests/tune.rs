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
            "--shape",
            "original",
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

/// The control groups of measured campaigns were never contacted: whether they stopped
/// buying is what the churn points predict, and tune reports how well, now and suggested.
#[test]
fn measured_control_groups_check_the_churn_rules_on_real_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let (weekly, customers) = generated(dir.path(), "40");
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap();
    let contacts = weekly.replace("weekly_spend.csv", "contacts.csv");
    let created = json(&[
        "campaign",
        "create",
        "--name",
        "Checked",
        "--top",
        "2000",
        "--control",
        "0.3",
        "--weekly",
        &weekly,
        "--customers",
        &customers,
        "--contacts",
        &contacts,
        "--db",
        db,
        "--format",
        "json",
    ]);
    let id = created["campaign_id"].as_i64().unwrap();
    let export = dir.path().join("export.csv");
    assert!(
        revgap(&[
            "campaign",
            "export",
            &id.to_string(),
            "--preset",
            "generic",
            "--out",
            export.to_str().unwrap(),
            "--db",
            db,
        ])
        .status
        .success()
    );
    // Follow-up: control members with the higher churn probabilities stop buying.
    let ledger = revgap::ledger::Ledger::open(std::path::Path::new(db)).unwrap();
    let members = ledger.members(id).unwrap();
    drop(ledger);
    let text = std::fs::read_to_string(&weekly).unwrap();
    let last = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .filter_map(|d| d.parse::<chrono::NaiveDate>().ok())
        .max()
        .unwrap();
    let mut follow = String::from("customer_id,week_start_date,weekly_spend\n");
    for member in &members {
        let stops = member.arm == revgap::ledger::Arm::Control && member.churn_probability >= 0.5;
        for week in 1..=8u64 {
            let day = last + chrono::Days::new(7 * week);
            let spend = if stops { 0.0 } else { 20.0 };
            follow.push_str(&format!("{},{day},{spend}\n", member.customer_id));
        }
    }
    let follow_path = dir.path().join("follow.csv");
    std::fs::write(&follow_path, follow).unwrap();
    let measured = revgap(&[
        "campaign",
        "measure",
        &id.to_string(),
        "--weekly",
        follow_path.to_str().unwrap(),
        "--db",
        db,
    ]);
    assert!(
        measured.status.success(),
        "{}",
        String::from_utf8_lossy(&measured.stderr)
    );
    let report = json(&[
        "tune",
        "--weekly",
        &weekly,
        "--customers",
        &customers,
        "--db",
        db,
        "--format",
        "json",
    ]);
    let controls = &report["campaign_controls"];
    let control_count = members
        .iter()
        .filter(|m| m.arm == revgap::ledger::Arm::Control)
        .count() as u64;
    assert_eq!(
        controls["members"].as_u64().unwrap(),
        control_count,
        "{controls}"
    );
    assert_eq!(controls["missing_from_data"], 0);
    let stopped = controls["stopped"].as_u64().unwrap();
    assert!(stopped > 0 && stopped < control_count, "{controls}");
    // The churn points behind those probabilities rank the stoppers first.
    assert!(
        controls["churn_auc_current"].as_f64().unwrap() > 0.8,
        "{controls}"
    );
    assert!(
        controls["churn_auc_suggested"]
            .as_f64()
            .unwrap()
            .is_finite()
    );
    // Without the ledger the report says so.
    let empty = dir.path().join("empty.sqlite");
    // An empty ledger (readers never make one).
    drop(revgap::ledger::Ledger::open(&empty).unwrap());
    let text = String::from_utf8(
        revgap(&["tune", "--weekly", &weekly, "--db", empty.to_str().unwrap()]).stdout,
    )
    .unwrap();
    assert!(
        text.contains("Measured campaigns: none in the ledger"),
        "{text}"
    );
}
