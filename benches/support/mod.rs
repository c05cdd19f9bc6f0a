//! What the explorer benchmarks share: a generated N × 52 dataset, analysed.

use revgap::config::Config;
use revgap::data::generate::GenerateOptions;
use revgap::tui::state::Loaded;
use std::sync::Arc;

/// `customers` × 52 weeks from the generator, analysed under the default configuration.
pub fn loaded(customers: usize) -> Loaded {
    let dataset = revgap::data::generate::in_memory(&GenerateOptions {
        customers,
        weeks: 52,
        ..Default::default()
    });
    let analysis = revgap::engine::analyze(&dataset, &Config::default());
    Loaded {
        dataset: Arc::new(dataset),
        analysis: Arc::new(analysis),
    }
}
