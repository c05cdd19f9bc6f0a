//! Streamed analysis (`analyze --stream`): the summary and the top customers of a weekly
//! panel too large to hold, in memory that does not grow with the panel's weeks, attributes
//! or customers (a listing of every customer grows by its ranks, about 60 bytes a customer).
//!
//! The panel is read in parts of customers (`data::stream_weekly`), and every part is
//! analysed on its own and dropped. Because a customer's analysis depends only on their own
//! weeks under the rules and a non-seasonal baseline, the exact merge of `engine::partition`
//! gives the whole panel's numbers: the first pass keeps each part's summary and writes every
//! customer's total spend and |gap| to the disk (`spill`: 32 bytes a customer of temporary
//! disk); merged, those give each customer's standing among everyone, read back in the
//! panel's order by the second pass, which scores every customer exactly as the whole run
//! does and keeps the best `n` and the highest churn risks with their weeks.
//! The result is a small dataset of just those customers and an analysis whose summary is
//! everyone's, which every report format writes as it writes a whole analysis.

use crate::config::{ChurnModel, Config};
use crate::data::{CheckedPanel, DataError, Dataset, LoadOptions, LoadReport};
use crate::engine::partition::{self, Partial, Ranked, Scales, Standing};
use crate::engine::{self, Analysis, CustomerScore, Summary};
use crate::spill::{Counted, Keyed, Merge, Spill};
use std::cmp::Ordering;

/// Why a panel cannot be streamed, or what went wrong reading it.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Data(#[from] DataError),
    /// The configuration needs every customer at once.
    #[error("--stream: {0}")]
    NeedsWholePanel(String),
    /// The scales' temporary file (in the system's temporary directory) failed.
    #[error(
        "--stream: a temporary file in {dir} cannot be written or read: {error}",
        dir = std::env::temp_dir().display(),
        error = .0
    )]
    Spill(#[from] std::io::Error),
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
    checked: CheckedPanel,
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
/// `each` stops the reading; a failure of the reading ends the parts and is returned. A panel
/// `checked` by an earlier reading is not checked again.
fn in_turn<E: From<DataError>>(
    options: &LoadOptions,
    part_customers: usize,
    checked: Option<&CheckedPanel>,
    mut each: impl FnMut(Dataset) -> Result<(), E>,
) -> Result<CheckedPanel, E> {
    let (sender, parts) = std::sync::mpsc::sync_channel::<Dataset>(1);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            crate::data::stream_weekly(options, part_customers, checked, |part| {
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

/// The percentile scales of a streamed panel, on disk: every customer's total spend and every
/// |gap|, each with whose it is, so memory stays a batch whatever the customer count.
struct SpilledScales {
    revenues: Spill<Keyed>,
    gaps: Spill<Keyed>,
    batch: usize,
}

impl SpilledScales {
    fn new(batch: usize) -> Self {
        Self {
            revenues: Spill::new(batch, Keyed::descending),
            gaps: Spill::new(batch, Keyed::descending),
            batch,
        }
    }

    /// Adds a part's customers, the first of them the panel's customer `first`.
    fn add(&mut self, first: u64, scores: &[CustomerScore]) -> std::io::Result<()> {
        for (offset, score) in scores.iter().enumerate() {
            let owner = first + offset as u64;
            self.revenues.push(Keyed {
                value: score.total_revenue,
                owner,
            })?;
            if score.has_gap() {
                self.gaps.push(Keyed {
                    value: score.gap_size,
                    owner,
                })?;
            }
        }
        Ok(())
    }

    /// Every customer's standing, to be asked in the panel's order.
    fn standings(self) -> std::io::Result<Standings> {
        let (revenues, revenue_count) = at_most_by_owner(self.revenues, self.batch)?;
        let (gaps, gap_count) = at_most_by_owner(self.gaps, self.batch)?;
        Ok(Standings {
            revenues: revenues.peekable(),
            revenue_count,
            gaps: gaps.peekable(),
            gap_count,
        })
    }
}

/// For each value, how many of all the values are at most it (in `total_cmp` order, as the
/// whole run's percentiles count), by owner; and how many values there are.
fn at_most_by_owner(values: Spill<Keyed>, batch: usize) -> std::io::Result<(Merge<Counted>, u64)> {
    let count = values.len();
    let mut counted = Spill::new(batch, Counted::by_owner);
    // Largest first: a value's count is everything not greater, known as its group starts.
    let mut group: Option<(u64, u64)> = None;
    for (greater, keyed) in values.merge()?.enumerate() {
        let keyed = keyed?;
        let at_most = match group {
            Some((bits, at_most)) if bits == keyed.value.to_bits() => at_most,
            _ => {
                let at_most = count - greater as u64;
                group = Some((keyed.value.to_bits(), at_most));
                at_most
            }
        };
        counted.push(Counted {
            owner: keyed.owner,
            count: at_most,
        })?;
    }
    Ok((counted.merge()?, count))
}

/// Customers' standings read back in the panel's order.
struct Standings {
    revenues: std::iter::Peekable<Merge<Counted>>,
    revenue_count: u64,
    gaps: std::iter::Peekable<Merge<Counted>>,
    gap_count: u64,
}

impl Standings {
    /// The standing of the panel's customer `customer` (asked in increasing order).
    fn of(&mut self, customer: u64) -> std::io::Result<Standing> {
        let at_most = |counts: &mut std::iter::Peekable<Merge<Counted>>| match counts
            .next_if(|c| c.as_ref().map_or(true, |c| c.owner == customer))
        {
            Some(counted) => counted.map(|c| c.count),
            None => Ok(0),
        };
        let revenues_at_most = at_most(&mut self.revenues)?;
        let gaps_at_most = at_most(&mut self.gaps)?;
        Ok(Standing {
            revenues_at_most,
            revenues: self.revenue_count,
            gaps_at_most,
            gaps: self.gap_count,
        })
    }
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
    // A listing of everyone ranks everyone in memory anyway; the best few need only where
    // each customer stands, which the disk holds.
    // A part's worth of records is held before a run of them goes to disk.
    let mut spilled = (listing != Listing::Every).then(|| SpilledScales::new(part_customers));
    let checked = in_turn::<StreamError>(options, part_customers, None, |part| {
        let analysis = engine::analyze(&part, config);
        if analysis.season.kind() == engine::season::BaselineKind::Seasonal {
            return Err(DataError::Invalid(format!(
                "{}: --stream: {} weeks take the seasonal baseline, whose profile is everyone's; expected --baseline original or trailing",
                part.source,
                part.week_count()
            ))
            .into());
        }
        match &mut spilled {
            Some(spilled) => {
                spilled.add(customers as u64, &analysis.scores)?;
                partials.push(Partial::without_scales(&analysis, part.load.skipped_rows));
            }
            None => partials.push(Partial::of(&analysis, part.load.skipped_rows)),
        }
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
    let Some(spilled) = spilled else {
        let scales = Scales::merge_owned(partials);
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
                checked,
            }),
        });
    };
    let Listing::Top(top) = listing else {
        unreachable!("every customer is listed above")
    };
    let mut standings = spilled.standings()?;

    let churn_limit = config.report.top_churn;
    let high_risk = config.churn.high_risk_points;
    let mut ranked: Vec<Kept> = Vec::new();
    let mut churn: Vec<Kept> = Vec::new();
    let mut offset = 0;
    let mut first_rescored = None;
    in_turn::<StreamError>(options, part_customers, Some(&checked), |part| {
        let analysis = engine::analyze(&part, config);
        let rescored = analysis
            .scores
            .iter()
            .enumerate()
            .map(|(index, own)| Ok(standings.of(offset + index as u64)?.rescore(own, config)))
            .collect::<std::io::Result<Vec<CustomerScore>>>()?;
        offset += rescored.len() as u64;
        first_rescored = first_rescored.or(rescored.first().copied());
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
        let best = partition::top_of(&rescored, &part.customer_ids, top);
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
            risks.into_iter().map(|c| kept(c, rescored[c])),
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
        let score = first_rescored.unwrap_or(first_analysis.scores[0]);
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
        let listed = in_turn(
            &self.options,
            self.part_customers,
            Some(&self.checked),
            |part| {
                let mut analysis = engine::analyze(&part, config);
                for (index, score) in analysis.scores.iter_mut().enumerate() {
                    *score = CustomerScore {
                        rank: ranks[offset + index],
                        ..scales.rescore(score, config)
                    };
                }
                analysis.segments = std::mem::take(&mut analysis.segments)
                    .without_population_wide(&config.segments);
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
            },
        );
        match listed {
            Ok(_) => Ok(()),
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
