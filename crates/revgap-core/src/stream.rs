//! Streamed analysis (`analyze --stream`): the summary, the top customers or every customer
//! with a gap of a weekly panel too large to hold, in memory that does not grow with the
//! panel's weeks, attributes or customers.
//!
//! The panel (or transaction log, in any row order, with a customers file or not) is read in
//! parts of customers (`data::stream_weekly`), and every part is
//! analysed on its own and dropped. Because a customer's analysis depends only on their own
//! weeks under the rules and a non-seasonal baseline, the exact merge of `engine::partition`
//! gives the whole panel's numbers: the first pass keeps each part's summary and writes every
//! customer's total spend and |gap| to the disk (`spill`, in `$TMPDIR`; the README gives the
//! space it takes); merged, those give each customer's standing among everyone, read back in the
//! panel's order by the second pass, which scores every customer exactly as the whole run
//! does and keeps the best `n` and the highest churn risks with their weeks. A listing of
//! everyone ranks everyone on the disk too (`rank_everyone`): priorities sorted in the
//! ranking's order, ranks given, then sorted back by customer for the third reading, which
//! lists each part's customers with a gap as it reads them.
//! The result is a small dataset of just those customers and an analysis whose summary is
//! everyone's, which every report format writes as it writes a whole analysis.

mod rank;
mod scales;

use crate::config::Config;
use crate::data::{CheckedPanel, DataError, Dataset, LoadOptions, LoadReport};
use crate::engine::partition::{self, Partial, Ranked, Standing};
use crate::engine::{self, Analysis, CustomerScore, Summary};
use crate::spill::{self, Merge, Spill};
use rank::{RankInput, RankedEntry, rank_everyone};
use scales::SpilledScales;
use std::cmp::Ordering;

/// Why a panel cannot be streamed, or what went wrong reading it.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    Data(#[from] DataError),
    /// The configuration needs every customer at once.
    #[error("--stream: {0}")]
    NeedsWholePanel(#[from] partition::NeedsEveryone),
}

/// A temporary file failed (exit 73, as an output that cannot be written).
impl From<std::io::Error> for StreamError {
    fn from(error: std::io::Error) -> Self {
        Self::Data(DataError::Temporary(error))
    }
}

/// The streamed result: the customers kept, and an analysis of them whose summary (and the
/// scores' percentile factors, priorities and ranks) are the whole panel's.
pub struct Streamed {
    pub dataset: Dataset,
    pub analysis: Analysis,
    /// How many parts the panel was read in.
    pub parts: usize,
    /// Why the panel's rows were regrouped by customer on the disk (`None`: they came
    /// together in the file).
    pub regrouped: Option<String>,
    /// With `Listing::Every`: what lists every customer with a gap.
    pub lister: Option<Lister>,
}

/// Lists every customer with a gap of a streamed panel, reading it once more.
pub struct Lister {
    /// Every customer with a gap's rank and standing, in the panel's order (from the disk).
    ranked: std::sync::Mutex<std::iter::Peekable<Merge<RankedEntry>>>,
    /// How many customers, and customers with a gap, the standings count among.
    revenues: u64,
    gaps: u64,
    config: Config,
    options: LoadOptions,
    part_customers: usize,
    checked: CheckedPanel,
    /// Customers without a gap are listed too (`--all-customers`).
    everyone: bool,
}

/// Which customers a streamed report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The best `n`, in rank order (and the highest churn risks, for markdown).
    Top(usize),
    /// Every customer with a gap, in the panel's order, each with their rank: the ranking is
    /// made on the disk, and a third reading lists them.
    Every,
    /// Every customer, with a gap or not, in the panel's order (`--all-customers`).
    All,
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
    Ok(partition::check_config(config)?)
}

/// One customer kept for the report: the score on the whole panel's scales, and the weeks.
struct Kept {
    ranked: Ranked,
    weeks: Vec<f64>,
    profile: Option<crate::data::CustomerProfile>,
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
    options.protect_inputs();
    check_config(config)?;
    let mut partials: Vec<Partial> = Vec::new();
    let mut load = LoadReport::default();
    let mut first: Option<(Dataset, Analysis)> = None;
    // A listing of everyone ranks everyone: what that needs goes to the disk too.
    let mut rank_inputs = Spill::new(part_customers, RankInput::by_owner);
    let mut rank_ids = match listing {
        Listing::Every | Listing::All => Some(spill::Texts::new()?),
        Listing::Top(_) => None,
    };
    let mut customers = 0;
    // A part's worth of records is held before a run of them goes to disk.
    let mut spilled = SpilledScales::new(part_customers);
    let checked = in_turn::<StreamError>(options, part_customers, None, |part| {
        let analysis = engine::analyze(&part, config);
        if let Err(needed) = partition::check_season(&analysis, part.week_count()) {
            return Err(DataError::Invalid(format!("{}: --stream: {needed}", part.source)).into());
        }
        spilled.add(customers as u64, &analysis.scores)?;
        partials.push(Partial::without_scales(&analysis, part.load.skipped_rows));
        load.absorb(part.load.clone());
        if let Some(ids) = &mut rank_ids {
            for (index, score) in analysis.scores.iter().enumerate() {
                if score.has_gap() {
                    let id = ids.push(part.customer_ids[index].as_bytes())?;
                    let owner = (customers + index) as u64;
                    if let Some(input) = RankInput::of(owner, id, score) {
                        rank_inputs.push(input)?;
                    }
                }
            }
        }
        customers += part.customer_count();
        // A part of a log can be only counts (its customers all bought after --as-of).
        if first.is_none() && part.customer_count() > 0 {
            // The panel's weeks, source and season (the same in every part).
            // The first customer gives the Parquet report its column kinds when none is kept.
            let shape = Dataset {
                source: part.source.clone(),
                customers_source: options
                    .customers
                    .as_ref()
                    .map(|path| crate::text::one_line(&path.display().to_string()).into_owned()),
                as_of: part.as_of,
                unit: part.unit,
                profiles: vec![part.profiles[0].clone()],
                extra_columns: part.extra_columns.clone(),
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
        ..partition::merge_summaries(&partials).map_err(|e| DataError::Invalid(e.to_string()))?
    };
    let parts = partials.len();
    let mut standings = spilled.standings()?;
    if let Some(ids) = rank_ids {
        let first_standing = standings.of(0)?;
        let ids = ids.finish()?;
        let ranked = rank_everyone(rank_inputs, ids, &mut standings, config, part_customers)?;
        let score = first_standing.rescore(&first_analysis.scores[0], config);
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
            regrouped: checked.regrouped_note().map(str::to_string),
            lister: Some(Lister {
                ranked: std::sync::Mutex::new(ranked.peekable()),
                revenues: standings.revenue_count,
                gaps: standings.gap_count,
                config: config.clone(),
                options: options.clone(),
                part_customers,
                checked,
                everyone: listing == Listing::All,
            }),
        });
    }
    let Listing::Top(top) = listing else {
        unreachable!("every customer is listed above")
    };

    let churn_limit = config.report.top_churn;
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
            profile: part.profiles[index].clone(),
        };
        let best = partition::top_of(&rescored, &part.customer_ids, top);
        keep_best(
            &mut ranked,
            best.into_iter().map(|r| kept(r.index, r.score)),
            top,
            |a, b| partition::ranking_order(&a.ranked, &b.ranked),
        );
        let mut risks: Vec<usize> = (0..part.customer_count())
            .filter(|c| analysis.scores[*c].at_high_churn_risk(config))
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
            profile: shape.profiles[0].clone(),
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
    dataset.customers_source = shape.customers_source.clone();
    dataset.as_of = shape.as_of;
    dataset.unit = shape.unit;
    dataset.load = load;
    dataset.profiles = customers
        .iter()
        .map(|(kept, _)| kept.profile.clone())
        .collect();
    dataset.extra_columns = shape.extra_columns.clone();
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
        regrouped: checked.regrouped_note().map(str::to_string),
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
        learned_churn: None,
        churn_model: part.churn_model.clone(),
        churn_model_note: part.churn_model_note.clone(),
        recalibration: None,
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
        let config = &self.config;
        let mut ranked = self
            .ranked
            .lock()
            .map_err(|_| std::io::Error::other("the ranking was left half read"))?;
        let mut offset = 0;
        let listed = in_turn(
            &self.options,
            self.part_customers,
            Some(&self.checked),
            |part| {
                let mut analysis = engine::analyze(&part, config);
                // Only customers with a gap are listed: only they are ranked and rescored.
                for (index, score) in analysis.scores.iter_mut().enumerate() {
                    if !score.has_gap() {
                        continue;
                    }
                    let owner = (offset + index) as u64;
                    let entry = ranked
                        .next_if(|e| e.as_ref().map_or(true, |e| e.owner == owner))
                        .transpose()
                        .map_err(|error| Listed::Read(DataError::Temporary(error)))?
                        .ok_or_else(|| {
                            Listed::Read(DataError::Invalid(
                                "the panel changed while it was being read: a customer with a gap was not ranked".into(),
                            ))
                        })?;
                    let standing = Standing {
                        revenues_at_most: entry.revenues_at_most,
                        revenues: self.revenues,
                        gaps_at_most: entry.gaps_at_most,
                        gaps: self.gaps,
                    };
                    *score = CustomerScore {
                        rank: entry.rank as u32,
                        ..standing.rescore(score, config)
                    };
                }
                analysis.segments = std::mem::take(&mut analysis.segments)
                    .without_population_wide(&config.segments);
                let customers: Vec<usize> = (0..part.customer_count())
                    .filter(|c| self.everyone || analysis.scores[*c].has_gap())
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
