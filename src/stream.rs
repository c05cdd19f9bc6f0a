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
use crate::engine::{self, Analysis, CustomerScore, Summary};
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
    /// With `Listing::Every`: what lists every customer with a gap.
    pub lister: Option<Lister>,
}

/// Lists every customer with a gap of a streamed panel, reading it once more.
pub struct Lister {
    /// Every customer's rank (0: no gap), in the panel's order.
    ranks: Vec<u32>,
    scales: Scales,
    config: Config,
    options: LoadOptions,
    part_customers: usize,
}

/// Which customers a streamed report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The best `n`, in rank order (and the highest churn risks, for markdown).
    Top(usize),
    /// Every customer with a gap, in the panel's order, each with their rank: costs about 40
    /// bytes a customer with a gap for the ranking, and a third reading to list them.
    Every,
}

/// What ranking everyone needs of a customer with a gap, kept from the first reading.
struct RankInput {
    customer: u32,
    gap_size: f64,
    total_revenue: f64,
    recovery_probability: f64,
    churn_points: u32,
    primary: engine::GapType,
}

impl RankInput {
    fn of(customer: usize, score: &CustomerScore) -> Option<Self> {
        Some(Self {
            customer: customer as u32,
            gap_size: score.gap_size,
            total_revenue: score.total_revenue,
            recovery_probability: score.recovery_probability,
            churn_points: score.churn_points,
            primary: score.primary?,
        })
    }

    /// The score fields the priority reads (the rest stay default): the same arithmetic as
    /// the whole run's, through `Scales::rescore`.
    fn priority(&self, scales: &Scales, config: &Config) -> f64 {
        let score = CustomerScore {
            total_revenue: self.total_revenue,
            gap_size: self.gap_size,
            recovery_probability: self.recovery_probability,
            churn_points: self.churn_points,
            primary: Some(self.primary),
            ..Default::default()
        };
        scales.rescore(&score, config).priority
    }
}

/// Every customer's rank (0: no gap), in the engine's ranking order: priority, |gap|, churn
/// points, then id.
fn ranks(
    inputs: Vec<RankInput>,
    ids: &crate::data::IdColumn,
    customers: usize,
    scales: &Scales,
    config: &Config,
) -> Vec<u32> {
    use rayon::prelude::*;
    let mut keys: Vec<engine::RankKey> = inputs
        .par_iter()
        .enumerate()
        .map(|(slot, input)| {
            (
                input.priority(scales, config),
                input.gap_size,
                input.churn_points,
                slot as u32,
            )
        })
        .collect();
    engine::sort_ranking(&mut keys, ids);
    let mut ranks = vec![0u32; customers];
    for (position, key) in keys.iter().enumerate() {
        ranks[inputs[key.3 as usize].customer as usize] = position as u32 + 1;
    }
    ranks
}

/// Reads the panel's parts on a thread of its own and hands each to `each` here, one part
/// ahead: reading the next part overlaps analysing (and writing) this one. A failure of
/// `each` stops the reading; a failure of the reading ends the parts and is returned.
fn in_turn<E: From<DataError>>(
    options: &LoadOptions,
    part_customers: usize,
    mut each: impl FnMut(Dataset) -> Result<(), E>,
) -> Result<(), E> {
    let (sender, parts) = std::sync::mpsc::sync_channel::<Dataset>(1);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            crate::data::stream_weekly(options, part_customers, |part| {
                sender
                    .send(part)
                    .map_err(|_| DataError::Invalid("the parts were not wanted".into()))
            })
        });
        let mut handled = Ok(());
        for part in parts.iter() {
            handled = each(part);
            if handled.is_err() {
                break;
            }
        }
        drop(parts);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(DataError::Invalid("the panel's reader stopped".into())));
        handled?;
        Ok(read?)
    })
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

/// The churn list's order (`engine::churn_list_order`), as the report sorts.
fn churn_order(a: &Kept, b: &Kept) -> Ordering {
    engine::churn_list_order(
        (&a.ranked.score, &a.ranked.customer_id),
        (&b.ranked.score, &b.ranked.customer_id),
    )
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

/// Analyses the panel of `options` part by part, for a report listing `listing`.
pub fn analyze(
    options: &LoadOptions,
    config: &Config,
    listing: Listing,
    part_customers: usize,
) -> Result<Streamed, StreamError> {
    check_config(config)?;
    let mut partials: Vec<Partial> = Vec::new();
    let mut load = LoadReport::default();
    let mut first: Option<(Dataset, Analysis)> = None;
    let mut rank_inputs: Vec<RankInput> = Vec::new();
    let mut rank_ids = crate::data::IdColumn::default();
    let mut customers = 0;
    in_turn::<StreamError>(options, part_customers, |part| {
        let analysis = engine::analyze(&part, config);
        if analysis.season.kind() == engine::season::BaselineKind::Seasonal {
            return Err(DataError::Invalid(format!(
                "{}: --stream: {} weeks take the seasonal baseline, whose profile is everyone's; expected --baseline original or trailing",
                part.source,
                part.week_count()
            ))
            .into());
        }
        partials.push(Partial::of(&analysis, part.load.skipped_rows));
        load.absorb(part.load.clone());
        if listing == Listing::Every {
            for (index, score) in analysis.scores.iter().enumerate() {
                if let Some(input) = RankInput::of(customers + index, score) {
                    rank_inputs.push(input);
                    rank_ids.push(&part.customer_ids[index]);
                }
            }
        }
        customers += part.customer_count();
        if first.is_none() {
            // The panel's weeks, source and season (the same in every part).
            // The first customer gives the Parquet report its column kinds when none is kept.
            let shape = Dataset {
                source: part.source.clone(),
                as_of: part.as_of,
                unit: part.unit,
                ..Dataset::from_rows(
                    part.week_starts.clone(),
                    vec![(
                        part.customer_ids[0].to_string(),
                        part.weeks_of(0).into_owned(),
                    )],
                )
            };
            first = Some((shape, analysis));
        }
        Ok(())
    })?;
    let Some((shape, first_analysis)) = first else {
        return Err(DataError::Invalid("no customers to analyse".into()).into());
    };
    let summary = Summary {
        streamed: true,
        ..partition::merge_summaries(&partials).map_err(DataError::Invalid)?
    };
    let parts = partials.len();
    let scales = Scales::merge_owned(partials);
    if listing == Listing::Every {
        let ranks = ranks(rank_inputs, &rank_ids, customers, &scales, config);
        drop(rank_ids);
        let score = scales.rescore(&first_analysis.scores[0], config);
        let mut dataset = shape;
        dataset.load = load;
        let analysis = Analysis {
            scores: vec![CustomerScore { rank: 0, ..score }],
            ranking: Vec::new(),
            summary,
            ..whole_panel(&dataset, &first_analysis, config)
        };
        return Ok(Streamed {
            dataset,
            analysis,
            parts,
            lister: Some(Lister {
                ranks,
                scales,
                config: config.clone(),
                options: options.clone(),
                part_customers,
            }),
        });
    }
    let Listing::Top(top) = listing else {
        unreachable!("every customer is listed above")
    };

    let churn_limit = config.report.top_churn;
    let high_risk = config.churn.high_risk_points;
    let mut ranked: Vec<Kept> = Vec::new();
    let mut churn: Vec<Kept> = Vec::new();
    in_turn::<StreamError>(options, part_customers, |part| {
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
        risks.sort_by(|a, b| {
            engine::churn_list_order(
                (&analysis.scores[*a], &part.customer_ids[*a]),
                (&analysis.scores[*b], &part.customer_ids[*b]),
            )
        });
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
    if customers.is_empty() {
        // Nobody to list: the first customer, unlisted, still gives the Parquet report its
        // column kinds.
        let score = scales.rescore(&first_analysis.scores[0], config);
        let prototype = Kept {
            ranked: Ranked {
                index: 0,
                customer_id: shape.customer_ids[0].to_string(),
                priority: score.priority,
                gap_size: score.gap_size,
                churn_points: score.churn_points,
                score,
            },
            weeks: shape.weeks_of(0).into_owned(),
        };
        customers.push((prototype, 0));
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
        ..whole_panel(&dataset, &first_analysis, config)
    };
    Ok(Streamed {
        dataset,
        analysis,
        parts,
        lister: None,
    })
}

/// An analysis of the customers kept from a streamed panel (`kept`): their own segments
/// (those that rank each customer against everyone not computed), the panel's season and
/// churn model.
fn whole_panel(kept: &Dataset, part: &Analysis, config: &Config) -> Analysis {
    Analysis {
        scores: Vec::new(),
        ranking: Vec::new(),
        summary: Default::default(),
        config: config.clone(),
        models: None,
        churn_model: part.churn_model.clone(),
        segments: crate::segment::segment(kept, config, None, None)
            .without_population_wide(&config.segments),
        season: part.season.clone(),
        segment_rules: Vec::new(),
        peer_medians: Vec::new(),
        learned: None,
    }
}

impl Lister {
    /// Reads the panel once more and hands `each` a context per part listing its customers
    /// with a gap, in the panel's order, scored on the whole panel's scales with their ranks.
    pub fn list(
        &self,
        generated_at: &str,
        each: &mut crate::report::EachPart,
    ) -> std::io::Result<()> {
        let (ranks, scales, config) = (&self.ranks, &self.scales, &self.config);
        let mut offset = 0;
        let listed = in_turn(&self.options, self.part_customers, |part| {
            let mut analysis = engine::analyze(&part, config);
            for (index, score) in analysis.scores.iter_mut().enumerate() {
                *score = CustomerScore {
                    rank: ranks[offset + index],
                    ..scales.rescore(score, config)
                };
            }
            analysis.segments =
                std::mem::take(&mut analysis.segments).without_population_wide(&config.segments);
            let customers: Vec<usize> = (0..part.customer_count())
                .filter(|c| analysis.scores[*c].has_gap())
                .collect();
            offset += part.customer_count();
            let context = crate::report::ReportContext {
                dataset: &part,
                analysis: &analysis,
                config,
                customers: &customers,
                generated_at: generated_at.to_string(),
                narratives: None,
            };
            each(&context).map_err(Listed::Write)
        });
        match listed {
            Ok(()) => Ok(()),
            Err(Listed::Write(error)) => Err(error),
            // The panel read a first time cannot be read now (it changed, or went away).
            Err(Listed::Read(error)) => Err(std::io::Error::other(error.to_string())),
        }
    }
}

/// Why listing stopped: the report could not be written, or the panel read.
enum Listed {
    Write(std::io::Error),
    Read(DataError),
}

impl From<DataError> for Listed {
    fn from(error: DataError) -> Self {
        Self::Read(error)
    }
}
