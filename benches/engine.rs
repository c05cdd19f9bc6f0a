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

/// The original's mode (`churn_model = "rules"`), whose target is the engine's own.
fn original_mode() -> Config {
    let mut config = Config::default();
    config.model.churn_model = revgap::config::ChurnModel::Rules;
    config
}

fn analyze(c: &mut Criterion) {
    let mut group = c.benchmark_group("analyze_52_weeks");
    group.sample_size(10);
    for customers in [100_000, 1_000_000] {
        let dataset = sample(customers);
        group.bench_with_input(
            BenchmarkId::from_parameter(customers),
            &dataset,
            |b, data| b.iter(|| engine::analyze(data, &original_mode())),
        );
        // The default tries the model first; on these weekly shoppers it does not fit and
        // the rules serve, so this is the cost of finding that out.
        group.bench_with_input(
            BenchmarkId::new("default_model", customers),
            &dataset,
            |b, data| b.iter(|| engine::analyze(data, &Config::default())),
        );
    }
    group.finish();
}

/// The seasonal baseline against the original's on two years of seasonal data (1M × 104):
/// the target is at most twice the time.
fn seasonal_baseline(c: &mut Criterion) {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 2, 3).unwrap_or_default();
    let options = GenerateOptions {
        customers: 1_000_000,
        weeks: 104,
        seasonal: true,
        start,
        ..Default::default()
    };
    let dataset = revgap::data::generate::in_memory(&options);
    let mut group = c.benchmark_group("analyze_1m_x_104_weeks");
    group.sample_size(10);
    for (name, baseline) in [
        ("original", revgap::config::BaselineChoice::Original),
        ("seasonal", revgap::config::BaselineChoice::Seasonal),
    ] {
        let mut config = original_mode();
        config.windows.baseline = baseline;
        group.bench_with_input(BenchmarkId::from_parameter(name), &dataset, |b, data| {
            b.iter(|| engine::analyze(data, &config))
        });
    }
    group.finish();
}

criterion_group!(benches, analyze, seasonal_baseline);
criterion_main!(benches);
