//! BG/NBD at scale: `cargo bench --bench model`. 1M customers simulated from the CDNOW
//! parameters (λ ~ Gamma(r, α), p ~ Beta(a, b), T uniform on the CDNOW range 27–39 weeks),
//! compressed to distinct (x, t_x, T) rows at day resolution, then fitted; and predictions
//! (P(alive) and 39-week conditional expectations) for all 1M customers.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use revgap::model::bgnbd::{self, Params};
use revgap::model::summary::{self, Rfm};

const CDNOW: Params = Params {
    r: 0.2425929,
    alpha: 4.4135316,
    a: 0.7928861,
    b: 2.4257532,
};

/// (x, t_x, T) of one simulated customer, times rounded to whole days.
fn simulate(seed: u64) -> (f64, f64, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let age_days = rng.random_range(189..=272);
    bgnbd::simulate(&CDNOW, age_days, &mut rng)
}

fn model(c: &mut Criterion) {
    let customers: Vec<(f64, f64, f64)> = (0..1_000_000u64).into_par_iter().map(simulate).collect();
    let rows: Vec<Rfm> = summary::compress(customers.iter().copied());
    eprintln!(
        "1M simulated customers → {} distinct (x, t_x, T) rows",
        rows.len()
    );
    let mut group = c.benchmark_group("bgnbd_1m_customers");
    group.sample_size(10);
    // Compression of the 1M rows is part of the measured fit.
    group.bench_function("compress_and_fit", |b| {
        b.iter(|| bgnbd::fit(&summary::compress(customers.iter().copied())).unwrap())
    });
    group.bench_function("predict_p_alive_and_39_week_expectation", |b| {
        b.iter(|| {
            customers
                .par_iter()
                .map(|(x, t_x, t)| {
                    CDNOW.p_alive(*x, *t_x, *t)
                        + CDNOW.expected_purchases(39.0, *x, *t_x, *t).unwrap_or(0.0)
                })
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(benches, model);
criterion_main!(benches);
