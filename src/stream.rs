//! Streamed analysis (`analyze --stream`): the summary and the top customers of a weekly
//! panel too large to hold, in memory that does not grow with the panel's weeks or
//! attributes and grows by 16 bytes a customer otherwise.
//!
//! The panel is read in parts of customers (`data::stream_weekly`), and every part is
//! analysed on its own and dropped. Because a customer's analysis depends only on their own
//! weeks under the rules and a non-seasonal baseline, the exact merge of `engine::partition`
//! gives the whole panel's numbers: the first pass keeps each part's summary and sorted
//! scales (16 bytes a customer: the only thing that grows), the second scores every customer
//! on the merged scales and keeps the best `n` and the highest churn risks with their weeks.
//! The result is a small dataset of just those customers and an analysis whose summary is
//! everyone's, which every report format writes as it writes a whole analysis.

use crate::config::{ChurnModel, Config};
use crate::data::{DataError, Dataset, LoadOptions, LoadReport};
use crate::engine::partition::{self, Partial, Ranked, Scales};
use crate::engine::{self, Analysis, CustomerScore, compare_ids};
use std::cmp::Ordering;

/// Why a panel cannot be streamed, or what went wrong reading it.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Data(#[from] DataError),
    /// The configuration needs every customer at once.
    #[error("--stream: {0}")]
    NeedsWholePanel(String),
}

/// The streamed result: the customers kept, and an analysis of them whose summary (and the
/// scores' percentile factors, priorities and ranks) are the whole panel's.
pub struct Streamed {
    pub dataset: Dataset,
    pub analysis: Analysis,
    /// How many parts the panel was read in.
    pub parts: usize,
}

/// Refuses what a streamed analysis cannot give exactly.
pub fn check_config(config: &Config) -> Result<(), StreamError> {
    if config.model.churn_model != ChurnModel::Rules {
        return Err(StreamError::NeedsWholePanel(
            "the BG/NBD churn model is fitted on every customer at once; expected --churn-model rules".into(),
        ));
    }
    if !config.segments.rules.is_empty() {
        return Err(StreamError::NeedsWholePanel(
            "segment rules rank every customer against everyone; expected a config without [[segments.rules]]".into(),
        ));
    }
    Ok(())
}

/// One customer kept for the report: the score on the whole panel's scales, and the weeks.
struct Kept {
    ranked: Ranked,
    weeks: Vec<f64>,
}

/// The churn list's order: points, then the longest lapse, then id (as the report sorts).
fn churn_order(a: &Kept, b: &Kept) -> Ordering {
    let (x, y) = (&a.ranked.score, &b.ranked.score);
    y.churn_points
        .cmp(&x.churn_points)
        .then(
            y.weeks_since_last_purchase
                .cmp(&x.weeks_since_last_purchase),
        )
        .then_with(|| compare_ids(&a.ranked.customer_id, &b.ranked.customer_id))
}

/// Keeps the best `limit` of `kept` plus `new` by `order`.
fn keep_best(
    kept: &mut Vec<Kept>,
    new: impl Iterator<Item = Kept>,
    limit: usize,
    order: fn(&Kept, &Kept) -> Ordering,
) {
    kept.extend(new);
    kept.sort_by(order);
    kept.truncate(limit);
}

/// Analyses the panel of `options` part by part; `top` customers are kept for the ranking.
pub fn analyze(
    options: &LoadOptions,
    config: &Config,
    top: usize,
    part_customers: usize,
) -> Result<Streamed, StreamError> {
    check_config(config)?;
    let mut partials: Vec<Partial> = Vec::new();
    let mut load = LoadReport::default();
    let mut first: Option<(Dataset, Analysis)> = None;
    crate::data::stream_weekly(options, part_customers, |part| {
        let analysis = engine::analyze(&part, config);
        if analysis.season.kind() == engine::season::BaselineKind::Seasonal {
            return Err(DataError::Invalid(format!(
                "{}: --stream: {} weeks take the seasonal baseline, whose profile is everyone's; expected --baseline original or trailing",
                part.source,
                part.week_count()
            )));
        }
        partials.push(Partial::of(&analysis, part.load.skipped_rows));
        load.absorb(part.load.clone());
        if first.is_none() {
            // The panel's weeks, source and season (the same in every part).
            let shape = Dataset {
                source: part.source.clone(),
                week_starts: part.week_starts.clone(),
                as_of: part.as_of,
                unit: part.unit,
                ..Default::default()
            };
            first = Some((shape, analysis));
        }
        Ok(())
    })?;
    let Some((shape, first_analysis)) = first else {
        return Err(DataError::Invalid("no customers to analyse".into()).into());
    };
    let summary = partition::merge_summaries(&partials).map_err(DataError::Invalid)?;
    let scales = Scales::merge(&partials);
    let parts = partials.len();
    drop(partials);

    let churn_limit = config.report.top_churn;
    let high_risk = config.churn.high_risk_points;
    let mut ranked: Vec<Kept> = Vec::new();
    let mut churn: Vec<Kept> = Vec::new();
    crate::data::stream_weekly(options, part_customers, |part| {
        let analysis = engine::analyze(&part, config);
        let kept = |index: usize, score: CustomerScore| Kept {
            ranked: Ranked {
                index,
                customer_id: part.customer_ids[index].to_string(),
                priority: score.priority,
                gap_size: score.gap_size,
                churn_points: score.churn_points,
                score,
            },
            weeks: part.weeks_of(index).into_owned(),
        };
        let best = partition::top(&analysis, &part.customer_ids, &scales, config, top);
        keep_best(
            &mut ranked,
            best.into_iter().map(|r| kept(r.index, r.score)),
            top,
            |a, b| partition::ranking_order(&a.ranked, &b.ranked),
        );
        let mut risks: Vec<usize> = (0..part.customer_count())
            .filter(|c| analysis.scores[*c].churn_points >= high_risk)
            .collect();
        // Only the part's own best few can reach the list.
        let part_order = |a: &usize, b: &usize| {
            let (x, y) = (&analysis.scores[*a], &analysis.scores[*b]);
            y.churn_points
                .cmp(&x.churn_points)
                .then(
                    y.weeks_since_last_purchase
                        .cmp(&x.weeks_since_last_purchase),
                )
                .then_with(|| compare_ids(&part.customer_ids[*a], &part.customer_ids[*b]))
        };
        risks.sort_by(part_order);
        risks.truncate(churn_limit);
        keep_best(
            &mut churn,
            risks
                .into_iter()
                .map(|c| kept(c, scales.rescore(&analysis.scores[c], config))),
            churn_limit,
            churn_order,
        );
        Ok(())
    })?;

    // The ranked customers first (in rank order), then churn risks not among them.
    let mut customers: Vec<(Kept, u32)> = ranked
        .into_iter()
        .enumerate()
        .map(|(position, kept)| (kept, position as u32 + 1))
        .collect();
    for risk in churn {
        if !customers
            .iter()
            .any(|(kept, _)| kept.ranked.customer_id == risk.ranked.customer_id)
        {
            customers.push((risk, 0));
        }
    }
    let ranked_count = customers.iter().filter(|(_, rank)| *rank > 0).count();
    let mut dataset = Dataset::from_rows(
        shape.week_starts.clone(),
        customers
            .iter()
            .map(|(kept, _)| (kept.ranked.customer_id.clone(), kept.weeks.clone()))
            .collect(),
    );
    dataset.source = shape.source.clone();
    dataset.as_of = shape.as_of;
    dataset.unit = shape.unit;
    dataset.load = load;
    let scores = customers
        .iter()
        .map(|(kept, rank)| CustomerScore {
            rank: *rank,
            ..kept.ranked.score
        })
        .collect();
    let analysis = Analysis {
        scores,
        ranking: (0..ranked_count).collect(),
        summary,
        config: config.clone(),
        models: None,
        churn_model: first_analysis.churn_model.clone(),
        segments: Default::default(),
        season: first_analysis.season.clone(),
        segment_rules: Vec::new(),
        peer_medians: Vec::new(),
        learned: None,
    };
    Ok(Streamed {
        dataset,
        analysis,
        parts,
    })
}
