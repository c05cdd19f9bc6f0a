//! Do the flags mean something on a real log? CDNOW cut at 1997-09-30, checked against the
//! following 13 weeks: a customer "stops" when they make no purchase in that quarter. The
//! high-severity share must stay within 1.2 × the share that really stops, at least 45 % of
//! those who stop must be flagged, and the flags must be at least as precise as the same
//! number of customers taken by recency alone. The model judges against each customer's own
//! rhythm (`[model] churn_model = "bgnbd"`, horizon = the 13 weeks checked); the original's
//! fixed rules flag 98 % of customers high, and their precision is the base rate.

mod common;

use std::collections::{HashMap, HashSet};

struct Truth {
    /// Customers with a purchase on or before the cut.
    existing: HashSet<String>,
    stopped: HashSet<String>,
    /// Days from the last purchase to the cut.
    recency: HashMap<String, u32>,
}

fn truth(cut: u32, end: u32) -> Truth {
    let text = std::fs::read_to_string(common::fixture("cdnow/CDNOW_sample.txt")).unwrap();
    let day = |date: u32| {
        chrono::NaiveDate::from_ymd_opt((date / 10000) as i32, date / 100 % 100, date % 100)
            .unwrap()
    };
    let mut last_before: HashMap<String, u32> = HashMap::new();
    let mut bought_after: HashSet<String> = HashSet::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (id, date): (String, u32) = (fields[1].into(), fields[2].parse().unwrap());
        if date <= cut {
            let last = last_before.entry(id).or_insert(date);
            *last = (*last).max(date);
        } else if date <= end {
            bought_after.insert(id);
        }
    }
    let existing: HashSet<String> = last_before.keys().cloned().collect();
    Truth {
        stopped: existing.difference(&bought_after).cloned().collect(),
        recency: last_before
            .iter()
            .map(|(id, last)| (id.clone(), (day(cut) - day(*last)).num_days() as u32))
            .collect(),
        existing,
    }
}

#[test]
fn cdnow_flags_track_who_really_stops() {
    let path = common::fixture("cdnow/CDNOW_sample.txt");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("model.toml");
    std::fs::write(
        &config,
        "[model]\nchurn_model = \"bgnbd\"\nhorizon_weeks = 13\n",
    )
    .unwrap();
    let mut args = vec!["analyze", "--transactions", path.to_str().unwrap()];
    args.extend(common::CDNOW_FLAGS);
    args.extend(["--as-of", "1997-09-30", "--format", "json", "--config"]);
    args.push(config.to_str().unwrap());
    let report = common::json(&args);
    assert_eq!(report["summary"]["churn_model"], "bgnbd+logistic");
    let truth = truth(19970930, 19971230);
    let customers = report["customers"].as_array().unwrap();
    let flagged: HashSet<String> = customers
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap().to_string())
        .collect();
    let high = customers
        .iter()
        .filter(|c| c["primary_gap"]["severity"] == "high")
        .count();
    let analysed = report["summary"]["customers_analyzed"].as_u64().unwrap() as usize;
    assert_eq!(analysed, truth.existing.len());
    let stop_share = truth.stopped.len() as f64 / analysed as f64;
    let high_share = high as f64 / analysed as f64;
    let caught = flagged.intersection(&truth.stopped).count();
    let recall = caught as f64 / truth.stopped.len() as f64;
    let precision = caught as f64 / flagged.len().max(1) as f64;
    // The same number of customers, taken by recency alone (longest silence first).
    let mut by_recency: Vec<(&String, &u32)> = truth.recency.iter().collect();
    by_recency.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let recency_caught = by_recency
        .iter()
        .take(flagged.len())
        .filter(|(id, _)| truth.stopped.contains(*id))
        .count();
    let recency_precision = recency_caught as f64 / flagged.len().max(1) as f64;
    eprintln!(
        "stop share {stop_share:.3}, high share {high_share:.3}, recall {recall:.3}, precision {precision:.3} (recency {recency_precision:.3}), flagged {}",
        flagged.len()
    );
    assert!(
        high_share <= 1.2 * stop_share,
        "{high_share} vs {stop_share}"
    );
    assert!(recall >= 0.45, "{recall}");
    assert!(
        precision + 1e-9 >= recency_precision,
        "{precision} vs {recency_precision}"
    );
}
