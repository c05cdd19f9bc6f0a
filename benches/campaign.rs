//! Campaigns at scale: `cargo bench --bench campaign`. Strata and the stratified, salted
//! control split of 1M customers (target ≤ 1.5 s); template drafts, checked, for 100k treated
//! members (≤ 2 s); the export of 100k members (≤ 1 s).

use criterion::{Criterion, criterion_group, criterion_main};
use revgap::campaign::assign::{Candidate, control_arm, strata};
use revgap::config::OutreachSettings;
use revgap::ledger::{Arm, Campaign, Member};

fn assignment(c: &mut Criterion) {
    let candidates: Vec<Candidate> = (0..1_000_000u64)
        .map(|i| Candidate {
            customer_id: format!("C{i:07}"),
            churn_probability: (i.wrapping_mul(2_654_435_761) % 1_000) as f64 / 1_000.0,
            gap: (i.wrapping_mul(40_503) % 5_000) as f64 / 10.0,
        })
        .collect();
    let mut group = c.benchmark_group("campaign_assignment");
    group.sample_size(10);
    group.bench_function("strata_and_arms_1m", |b| {
        b.iter(|| {
            let labels = strata(&candidates);
            control_arm(&candidates, &labels, "bench", 1_000)
        })
    });
    group.finish();
}

/// 100k treated members of a generated 100k-customer sample, every third reached by SMS.
fn treated_members(outreach: &OutreachSettings) -> (revgap::data::Dataset, Vec<Member>) {
    let options = revgap::data::generate::GenerateOptions {
        customers: 100_000,
        weeks: 12,
        ..Default::default()
    };
    let dataset = revgap::data::generate::in_memory(&options);
    let members = (0..dataset.customer_count())
        .map(|c| {
            let sms = c % 3 == 0;
            Member {
                customer_id: dataset.customer_ids[c].to_string(),
                arm: Arm::Treated,
                stratum: "risk5-gap1".into(),
                bucket: (c % 10_000) as i64,
                channel: Some(if sms { "sms" } else { "email" }.into()),
                offer: Some(outreach.offers[c % outreach.offers.len()].id.clone()),
                address: Some(if sms {
                    format!("+1-202-555-01{:02}", c % 100)
                } else {
                    format!("customer{c}@example.com")
                }),
                pre_weekly_spend: 40.0,
                churn_probability: 0.5,
                gap: 10.0,
                planned_channel: "email".into(),
                planned_offer: Some("WINBACK15".into()),
                segment: String::new(),
            }
        })
        .collect();
    (dataset, members)
}

fn drafts_and_export(c: &mut Criterion) {
    let outreach = OutreachSettings::default();
    let (dataset, members) = treated_members(&outreach);
    let contacts = std::collections::HashMap::new();
    let mut group = c.benchmark_group("campaign_100k_members");
    group.sample_size(10);
    group.bench_function("template_drafts_checked", |b| {
        b.iter(|| revgap::campaign::drafts(&dataset, &members, &contacts, &outreach))
    });
    let drafts: std::collections::HashMap<String, Vec<revgap::ledger::StoredDraft>> =
        revgap::campaign::drafts(&dataset, &members, &contacts, &outreach)
            .into_iter()
            .map(|(id, draft)| (id, vec![draft]))
            .collect();
    let campaign = Campaign {
        campaign_id: 1,
        name: "bench".into(),
        created_at: String::new(),
        status: "created".into(),
        salt: "bench".into(),
        control_bp: 1_000,
        follow_up: String::new(),
        analysis: "{}".into(),
        treated: members.len() as i64,
        control: 0,
        window_ends: String::new(),
    };
    let blocked = revgap::campaign::suppress::Blocklist::default();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export.csv");
    group.bench_function("export_klaviyo", |b| {
        b.iter(|| {
            revgap::handoff::export::write(
                &out,
                revgap::handoff::export::Preset::Klaviyo,
                &campaign,
                &members,
                &drafts,
                &blocked,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, assignment, drafts_and_export);
criterion_main!(benches);
