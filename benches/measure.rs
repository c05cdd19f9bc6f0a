//! Measuring a campaign: `cargo bench --bench measure`. 200k members (30 % control) on a
//! follow-up panel already loaded: reading three windows (2, 4, 8 weeks), every estimate with
//! its breakdowns, and storing the outcome snapshot of every member and window in the ledger (target for the
//! whole: ≤ 500 ms).

use criterion::{Criterion, criterion_group, criterion_main};
use revgap::ledger::{Arm, Ledger, Member};
use revgap::outcome::{estimate, follow_up};
use std::collections::HashMap;

fn members(dataset: &revgap::data::Dataset) -> Vec<Member> {
    (0..dataset.customer_count())
        .map(|c| Member {
            customer_id: dataset.customer_ids[c].to_string(),
            arm: if c % 10 < 3 {
                Arm::Control
            } else {
                Arm::Treated
            },
            stratum: "risk5-gap1".into(),
            bucket: (c % 10_000) as i64,
            channel: None,
            offer: Some("WINBACK15".into()),
            address: None,
            pre_weekly_spend: 20.0 + (c % 180) as f64,
            churn_probability: (c % 100) as f64 / 100.0,
            gap: 10.0 + (c % 50) as f64,
            planned_channel: ["email", "sms", "push", "phone"][c % 4].into(),
            planned_offer: Some(["WINBACK15", "RETAIN10", "RETURN5"][c % 3].into()),
            segment: ["low", "medium", "high"][c % 3].into(),
        })
        .collect()
}

fn measure(c: &mut Criterion) {
    let options = revgap::data::generate::GenerateOptions {
        customers: 200_000,
        weeks: 8,
        ..Default::default()
    };
    let dataset = revgap::data::generate::in_memory(&options);
    let members = members(&dataset);
    let start = dataset.week_starts[0];
    let costs: HashMap<String, f64> = [("WINBACK15".to_string(), 15.0)].into();
    let context = estimate::Context {
        recovered_share: 0.8,
        offer_costs: &costs,
        risk_bands: [0.3, 0.7],
        min_cell: 30,
        fdr_q: 0.1,
    };
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let campaign_id = ledger
        .create_campaign(&revgap::ledger::NewCampaign {
            name: "bench",
            salt: "bench",
            control_bp: 3_000,
            created_at: "2026-11-25T00:00:00Z".into(),
            follow_up: "2026-12-09".into(),
            analysis: "{}".into(),
            window_ends: "2027-01-20".into(),
            members: &members,
            excluded: &[],
            drafts: &[],
            rejected: &[],
        })
        .unwrap();
    let mut group = c.benchmark_group("campaign_measure_200k");
    group.sample_size(10);
    group.bench_function("three_windows_estimates", |b| {
        b.iter(|| {
            let read = follow_up::read(&dataset, &members, start, &[2, 4, 8]).unwrap();
            read.windows
                .iter()
                .filter_map(|w| estimate::window(&members, &w.spend, w.weeks, &context))
                .count()
        })
    });
    let mut run = 0;
    group.bench_function("three_windows_estimates_and_snapshots", |b| {
        b.iter(|| {
            run += 1;
            let read = follow_up::read(&dataset, &members, start, &[2, 4, 8]).unwrap();
            let estimates = read
                .windows
                .iter()
                .filter_map(|w| estimate::window(&members, &w.spend, w.weeks, &context))
                .count();
            let measurement =
                read.measurement(campaign_id, &format!("run-{run}"), "bench", &members);
            ledger.record_outcomes(&measurement).unwrap();
            estimates
        })
    });
    group.finish();
}

criterion_group!(benches, measure);
criterion_main!(benches);
