//! Scoring the whole base (`analyze --all-customers`) and exact machine output: every
//! customer in JSON, JSON lines, CSV and Parquet (and streamed), probabilities and shares at
//! full precision, money in whole cents.

mod common;

use arrow_array::{Array, Float64Array, RecordBatch, StringArray};
use common::{json, revgap};
use std::collections::HashSet;

fn lines(args: &[&str]) -> Vec<serde_json::Value> {
    let output = revgap(args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn all_customers_lists_everyone_ranked_first_with_churn_and_prediction() {
    let report = json(&["analyze", "--all-customers", "--format", "json"]);
    let customers = report["customers"].as_array().unwrap();
    let summary = &report["summary"];
    assert_eq!(
        customers.len() as u64,
        summary["customers_analyzed"].as_u64().unwrap()
    );
    let with_gaps = summary["customers_with_gaps"].as_u64().unwrap() as usize;
    assert!(with_gaps > 0 && with_gaps < customers.len());
    // The ranked customers first, in rank order, then those without a gap.
    for (position, customer) in customers.iter().enumerate() {
        if position < with_gaps {
            assert_eq!(customer["rank"].as_u64(), Some(position as u64 + 1));
            assert!(customer["primary_gap"].is_object());
        } else {
            assert!(customer["rank"].is_null(), "{customer}");
            assert!(customer["primary_gap"].is_null(), "{customer}");
            assert!(customer["opportunity"].is_null(), "{customer}");
        }
        let probability = customer["churn"]["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&probability), "{customer}");
        assert_eq!(
            customer["prediction"]["churn_probability"].as_f64(),
            Some(probability),
            "{customer}"
        );
    }
    let ids: HashSet<&str> = customers
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), customers.len(), "each customer once");

    // JSON lines and CSV carry the same customers in the same order.
    let jsonl = lines(&["analyze", "--all-customers", "--format", "jsonl"]);
    let order: Vec<&str> = customers
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    let jsonl_order: Vec<&str> = jsonl[..jsonl.len() - 1]
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(jsonl_order, order);
    let csv = revgap(&["analyze", "--all-customers", "--format", "csv"]);
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(&csv.stdout[..]);
    let header = reader.headers().unwrap().clone();
    let id_at = header.iter().position(|h| h == "customer_id").unwrap();
    let churn_at = header
        .iter()
        .position(|h| h == "churn_probability")
        .unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let csv_order: Vec<&str> = records.iter().map(|r| &r[id_at]).collect();
    assert_eq!(csv_order, order);
    // Full precision: the CSV's text reads back as the JSON's number, bit for bit.
    for (record, customer) in records.iter().zip(customers) {
        let read: f64 = record[churn_at].parse().unwrap();
        assert_eq!(
            read.to_bits(),
            customer["churn"]["probability"].as_f64().unwrap().to_bits()
        );
    }
}

#[test]
fn all_customers_in_parquet_and_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.parquet");
    let written = revgap(&[
        "analyze",
        "--all-customers",
        "--format",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let file = std::fs::File::open(&out).unwrap();
    let batches: Vec<RecordBatch> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let report = json(&["analyze", "--all-customers", "--format", "json"]);
    let customers = report["customers"].as_array().unwrap();
    let mut at = 0;
    for batch in &batches {
        let schema = batch.schema();
        let column = |name: &str| batch.column(schema.index_of(name).unwrap());
        let ids = column("customer_id")
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .clone();
        let churn = column("churn_probability")
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
            .clone();
        for row in 0..batch.num_rows() {
            let customer = &customers[at];
            assert_eq!(ids.value(row), customer["customer_id"].as_str().unwrap());
            assert!(!churn.is_null(row));
            assert_eq!(
                churn.value(row).to_bits(),
                customer["churn"]["probability"].as_f64().unwrap().to_bits()
            );
            at += 1;
        }
    }
    assert_eq!(at, customers.len());

    // Streamed: everyone, part by part, the same customers as in one piece.
    let flags = [
        "analyze",
        "--all-customers",
        "--format",
        "jsonl",
        "--churn-model",
        "rules",
        "--baseline",
        "original",
    ];
    let whole = lines(&flags);
    let mut streamed_flags = flags.to_vec();
    streamed_flags.extend(["--stream", "--stream-part", "150"]);
    let streamed = lines(&streamed_flags);
    assert_eq!(streamed.len(), whole.len());
    let id_set = |records: &[serde_json::Value]| -> HashSet<String> {
        records[..records.len() - 1]
            .iter()
            .map(|c| c["customer_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(id_set(&streamed), id_set(&whole));
    assert_eq!(id_set(&whole).len(), customers.len());
    let calm = streamed
        .iter()
        .filter(|c| c.get("customer_id").is_some() && c["primary_gap"].is_null())
        .count();
    assert!(calm > 0, "customers without a gap are listed");
}

#[test]
fn all_customers_is_for_machine_formats_and_not_with_top() {
    let markdown = revgap(&["analyze", "--all-customers"]);
    assert_eq!(markdown.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&markdown.stderr).trim(),
        "revgap: error: --all-customers is for scoring pipelines: expected --format json, jsonl, csv or parquet"
    );
    let both = revgap(&[
        "analyze",
        "--all-customers",
        "--top",
        "5",
        "--format",
        "json",
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&both.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&both.stderr)
    );
}

/// The engine's own numbers, compared with what the report says: probabilities and scores
/// exactly, money to the cent.
#[test]
fn machine_output_carries_the_engines_numbers_exactly() {
    let options = revgap::cli::DataArgs::default().load_options().unwrap();
    let dataset = revgap::data::load(&options).unwrap();
    let analysis = revgap::engine::analyze(&dataset, &revgap::config::Config::default());
    let report = json(&["analyze", "--all-customers", "--format", "json"]);
    let mut checked = 0;
    for customer in report["customers"].as_array().unwrap() {
        let id = customer["customer_id"].as_str().unwrap();
        let index = dataset.customer_ids.iter().position(|c| c == id).unwrap();
        let insight = analysis.insight(&dataset, index);
        assert_eq!(
            customer["churn"]["probability"].as_f64().unwrap().to_bits(),
            insight.churn.probability.to_bits(),
            "{id}"
        );
        assert_eq!(
            customer["priority_score"].as_f64().unwrap().to_bits(),
            insight.priority_score.to_bits(),
            "{id}"
        );
        let total = customer["spend"]["total_revenue"].as_f64().unwrap();
        assert_eq!(
            total,
            (insight.profile.total_revenue * 100.0).round() / 100.0
        );
        checked += 1;
    }
    assert_eq!(checked, dataset.customer_ids.len());
}

/// Cohort shares are exact fractions of the cohort's size (4 decimals would be up to half a
/// member off in a cohort of 352).
#[test]
fn cohort_shares_are_exact() {
    for period in ["week", "month", "quarter"] {
        cohort_shares_are_exact_by(period);
    }
}

fn cohort_shares_are_exact_by(period: &str) {
    let report = json(&["cohorts", "--period", period, "--format", "json"]);
    let mut shares = 0;
    for cohort in report["cohorts"].as_array().unwrap() {
        let size = cohort["size"].as_f64().unwrap();
        for share in cohort["active_share"].as_array().unwrap() {
            let members = share.as_f64().unwrap() * size;
            assert!((members - members.round()).abs() < 1e-9, "{cohort}");
            shares += 1;
        }
        // The last period holds data (a weekly panel's purchases are dated on the week's
        // first day: a month after the last week's start is not a 0 % month).
        let last = cohort["active_share"].as_array().unwrap().last().unwrap();
        if size >= 30.0 {
            assert!(last.as_f64().unwrap() > 0.5, "{period}: {cohort}");
        }
    }
    assert!(shares > 20, "{period}: {shares} shares");
}
