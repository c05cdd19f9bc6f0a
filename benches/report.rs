//! Report rendering on in-memory data (no disk): `cargo bench --bench report`.
//!
//! Every customer with a gap of a 200k × 52 generated panel, in rank order, written to a sink
//! in each format; `insights` is the part every format shares (rebuilding each listed
//! customer's insight), so a format's own cost is its time minus that.

use criterion::{Criterion, criterion_group, criterion_main};
use revgap::config::Config;
use revgap::report::{Format, Options, ReportContext};

fn report(c: &mut Criterion) {
    let dataset = revgap::data::generate::in_memory(&revgap::data::generate::GenerateOptions {
        customers: 200_000,
        weeks: 52,
        ..Default::default()
    });
    let mut config = Config::default();
    config.model.churn_model = revgap::config::ChurnModel::Rules;
    let analysis = revgap::engine::analyze(&dataset, &config);
    let context = ReportContext {
        dataset: &dataset,
        analysis: &analysis,
        config: &config,
        customers: &analysis.ranking,
        generated_at: String::new(),
        narratives: None,
    };
    let options = Options {
        pretty: false,
        with_rationale: false,
        ..Options::FULL
    };
    let mut group = c.benchmark_group(format!("report_{}_listed", analysis.ranking.len()));
    group.sample_size(10);
    group.bench_function("insights", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            analysis
                .ranking
                .par_iter()
                .map(|customer| analysis.insight(&dataset, *customer).priority_score)
                .sum::<f64>()
        })
    });
    for format in [Format::Json, Format::Jsonl, Format::Csv] {
        group.bench_function(format!("{format:?}").to_lowercase(), |b| {
            b.iter(|| revgap::report::write(format, &context, options, &mut std::io::sink()))
        });
    }
    group.finish();
}

criterion_group!(benches, report);
criterion_main!(benches);
