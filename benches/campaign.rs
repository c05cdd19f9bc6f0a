//! Campaign assignment at scale: `cargo bench --bench campaign`. Strata and the stratified,
//! salted control split of 1M customers (the target is ≤ 1.5 s).

use criterion::{Criterion, criterion_group, criterion_main};
use revgap::campaign::assign::{Candidate, control_arm, strata};

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

criterion_group!(benches, assignment);
criterion_main!(benches);
