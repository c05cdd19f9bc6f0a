//! Engine benchmarks on in-memory data (no I/O): `cargo bench --bench engine`.
//!
//! The dataset is the generator's output (`revgap generate --customers N --weeks 52`), built
//! in memory once per size.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use revgap::config::Config;
use revgap::data::Dataset;
use revgap::data::generate::GenerateOptions;
use revgap::engine;

fn sample(customers: usize) -> Dataset {
    let options = GenerateOptions {
        customers,
        weeks: 52,
        ..Default::default()
    };
    revgap::data::generate::in_memory(&options)
}

fn analyze(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("analyze_52_weeks");
    group.sample_size(10);
    for customers in [100_000, 1_000_000] {
        let dataset = sample(customers);
        group.bench_with_input(
            BenchmarkId::from_parameter(customers),
            &dataset,
            |b, data| b.iter(|| engine::analyze(data, &config)),
        );
    }
    group.finish();
}

criterion_group!(benches, analyze);
criterion_main!(benches);
