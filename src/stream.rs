//! Streamed analysis (`analyze --stream`): the summary, the top customers or every customer
//! with a gap of a weekly panel too large to hold, in memory that does not grow with the
//! panel's weeks, attributes or customers.
//!
//! The panel is read in parts of customers (`data::stream_weekly`), and every part is
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

use crate::config::{ChurnModel, Config};
use crate::data::{CheckedPanel, DataError, Dataset, LoadOptions, LoadReport};
use crate::engine::partition::{self, Partial, Ranked, Standing};
use crate::engine::{self, Analysis, CustomerScore, Summary};
use crate::spill::{self, Counted, Keyed, Merge, Record, Spill};
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
}

/// Which customers a streamed report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The best `n`, in rank order (and the highest churn risks, for markdown).
    Top(usize),
    /// Every customer with a gap, in the panel's order, each with their rank: the ranking is
    /// made on the disk, and a third reading lists them.
    Every,
}

/// What ranking everyone needs of a customer with a gap, kept from the first reading (on
/// disk, in the panel's order).
#[derive(Debug, Clone, Copy)]
struct RankInput {
    owner: u64,
    /// The customer's id, by its number in the ids on disk (read only to break a tie).
    id: u64,
    gap_size: f64,
    total_revenue: f64,
    recovery_probability: f64,
    churn_points: u32,
    primary: engine::GapType,
}

impl Record for RankInput {
    const BYTES: usize = 48;

    fn encode(&self, out: &mut Vec<u8>) {
        let primary = engine::GapType::ALL
            .iter()
            .position(|kind| *kind == self.primary)
            .unwrap_or(0) as u64;
        spill::encode_words(
            [
                self.owner,
                self.id,
                self.gap_size.to_bits(),
                self.total_revenue.to_bits(),
                self.recovery_probability.to_bits(),
                u64::from(self.churn_points) | primary << 32,
            ],
            out,
        );
    }

    fn decode(bytes: &[u8]) -> Self {
        let [
            owner,
            id,
            gap_size,
            total_revenue,
            recovery,
            churn_and_primary,
        ] = spill::decode_words(bytes);
        let kinds = engine::GapType::ALL;
        Self {
            owner,
            id,
            gap_size: f64::from_bits(gap_size),
            total_revenue: f64::from_bits(total_revenue),
            recovery_probability: f64::from_bits(recovery),
            churn_points: churn_and_primary as u32,
            primary: kinds[(churn_and_primary >> 32) as usize % kinds.len()],
        }
    }
}

impl RankInput {
    fn of(owner: u64, id: u64, score: &CustomerScore) -> Option<Self> {
        Some(Self {
            owner,
            id,
            gap_size: score.gap_size,
            total_revenue: score.total_revenue,
            recovery_probability: score.recovery_probability,
            churn_points: score.churn_points,
            primary: score.primary?,
        })
    }

    fn by_owner(a: &Self, b: &Self) -> Ordering {
        a.owner.cmp(&b.owner)
    }

    /// The score fields the priority reads (the rest stay default): the same arithmetic as
    /// the whole run's, through `Standing::rescore`.
    fn priority(&self, standing: Standing, config: &Config) -> f64 {
        let score = CustomerScore {
            total_revenue: self.total_revenue,
            gap_size: self.gap_size,
            recovery_probability: self.recovery_probability,
            churn_points: self.churn_points,
            primary: Some(self.primary),
            ..Default::default()
        };
        standing.rescore(&score, config).priority
    }
}

/// A customer with a gap as the ranking sorts them, with their standing for the listing.
#[derive(Debug, Clone, Copy)]
struct Placed {
    priority: f64,
    gap_size: f64,
    churn_points: u32,
    owner: u64,
    id: u64,
    revenues_at_most: u64,
    gaps_at_most: u64,
}

impl Record for Placed {
    const BYTES: usize = 56;

    fn encode(&self, out: &mut Vec<u8>) {
        spill::encode_words(
            [
                self.priority.to_bits(),
                self.gap_size.to_bits(),
                u64::from(self.churn_points),
                self.owner,
                self.id,
                self.revenues_at_most,
                self.gaps_at_most,
            ],
            out,
        );
    }

    fn decode(bytes: &[u8]) -> Self {
        let [
            priority,
            gap_size,
            churn_points,
            owner,
            id,
            revenues_at_most,
            gaps_at_most,
        ] = spill::decode_words(bytes);
        Self {
            priority: f64::from_bits(priority),
            gap_size: f64::from_bits(gap_size),
            churn_points: churn_points as u32,
            owner,
            id,
            revenues_at_most,
            gaps_at_most,
        }
    }
}

impl Placed {
    /// The ranking's order (`engine::sort_ranking`) on the numbers; ties on all of them are
    /// broken by id afterwards (`place_ties`), the panel's order standing in until then.
    fn ranking(a: &Self, b: &Self) -> Ordering {
        Self::numbers(a, b).then(a.owner.cmp(&b.owner))
    }

    fn numbers(a: &Self, b: &Self) -> Ordering {
        b.priority
            .total_cmp(&a.priority)
            .then_with(|| b.gap_size.total_cmp(&a.gap_size))
            .then_with(|| b.churn_points.cmp(&a.churn_points))
    }
}

/// A listed customer's rank and standing, by owner: what the listing reads back.
#[derive(Debug, Clone, Copy)]
struct RankedEntry {
    owner: u64,
    rank: u64,
    revenues_at_most: u64,
    gaps_at_most: u64,
}

impl Record for RankedEntry {
    const BYTES: usize = 32;

    fn encode(&self, out: &mut Vec<u8>) {
        spill::encode_words(
            [
                self.owner,
                self.rank,
                self.revenues_at_most,
                self.gaps_at_most,
            ],
            out,
        );
    }

    fn decode(bytes: &[u8]) -> Self {
        let [owner, rank, revenues_at_most, gaps_at_most] = spill::decode_words(bytes);
        Self {
            owner,
            rank,
            revenues_at_most,
            gaps_at_most,
        }
    }
}

impl RankedEntry {
    fn by_owner(a: &Self, b: &Self) -> Ordering {
        a.owner.cmp(&b.owner)
    }
}

/// Ranks every customer with a gap, on disk: each one's priority on the whole panel's scales
/// (`standings`, read in the panel's order with `inputs`), sorted in the ranking's order, then
/// sorted back by customer with their rank. Memory: a batch and a buffer per run.
fn rank_everyone(
    inputs: Spill<RankInput>,
    ids: spill::TextReader,
    standings: &mut Standings,
    config: &Config,
    batch: usize,
) -> std::io::Result<Merge<RankedEntry>> {
    let mut placed = Spill::new(batch, Placed::ranking);
    for input in inputs.merge()? {
        let input = input?;
        let standing = standings.of(input.owner)?;
        placed.push(Placed {
            priority: input.priority(standing, config),
            gap_size: input.gap_size,
            churn_points: input.churn_points,
            owner: input.owner,
            id: input.id,
            revenues_at_most: standing.revenues_at_most,
            gaps_at_most: standing.gaps_at_most,
        })?;
    }
    let mut ranked = Spill::new(batch, RankedEntry::by_owner);
    let mut rank = 0;
    let mut ties: Vec<Placed> = Vec::new();
    for next in placed.merge()? {
        let next = next?;
        if ties
            .last()
            .is_some_and(|last| Placed::numbers(last, &next) != Ordering::Equal)
        {
            place_ties(&mut ties, &ids, &mut rank, &mut ranked)?;
        }
        ties.push(next);
    }
    place_ties(&mut ties, &ids, &mut rank, &mut ranked)?;
    ranked.merge()
}

/// Gives the next ranks to customers equal on every number, in id order (`compare_ids`, as
/// `engine::sort_ranking` breaks such ties).
fn place_ties(
    ties: &mut Vec<Placed>,
    ids: &spill::TextReader,
    rank: &mut u64,
    ranked: &mut Spill<RankedEntry>,
) -> std::io::Result<()> {
    if ties.len() > 1 {
        let mut by_id = ties
            .drain(..)
            .map(|placed| {
                let id = ids.get(placed.id)?;
                Ok((String::from_utf8_lossy(&id).into_owned(), placed))
            })
            .collect::<std::io::Result<Vec<(String, Placed)>>>()?;
        by_id.sort_by(|a, b| engine::compare_ids(&a.0, &b.0));
        ties.extend(by_id.into_iter().map(|(_, placed)| placed));
    }
    for placed in ties.drain(..) {
        *rank += 1;
        ranked.push(RankedEntry {
            owner: placed.owner,
            rank: *rank,
            revenues_at_most: placed.revenues_at_most,
            gaps_at_most: placed.gaps_at_most,
        })?;
    }
    Ok(())
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
            last: None,
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
    /// The last customer asked about, and their standing (they may be asked again).
    last: Option<(u64, Standing)>,
}

impl Standings {
    /// The standing of the panel's customer `customer` (asked in increasing order).
    fn of(&mut self, customer: u64) -> std::io::Result<Standing> {
        if let Some((last, standing)) = self.last
            && last == customer
        {
            return Ok(standing);
        }
        // Customers not asked about (without a gap, when only those are) are passed over.
        let at_most = |counts: &mut std::iter::Peekable<Merge<Counted>>| {
            while counts
                .next_if(|c| c.as_ref().is_ok_and(|c| c.owner < customer))
                .is_some()
            {}
            match counts.next_if(|c| c.as_ref().map_or(true, |c| c.owner == customer)) {
                Some(counted) => counted.map(|c| c.count),
                None => Ok(0),
            }
        };
        let revenues_at_most = at_most(&mut self.revenues)?;
        let gaps_at_most = at_most(&mut self.gaps)?;
        let standing = Standing {
            revenues_at_most,
            revenues: self.revenue_count,
            gaps_at_most,
            gaps: self.gap_count,
        };
        self.last = Some((customer, standing));
        Ok(standing)
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
    // A listing of everyone ranks everyone: what that needs goes to the disk too.
    let mut rank_inputs = Spill::new(part_customers, RankInput::by_owner);
    let mut rank_ids = match listing {
        Listing::Every => Some(spill::Texts::new()?),
        Listing::Top(_) => None,
    };
    let mut customers = 0;
    // A part's worth of records is held before a run of them goes to disk.
    let mut spilled = SpilledScales::new(part_customers);
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
            lister: Some(Lister {
                ranked: std::sync::Mutex::new(ranked.peekable()),
                revenues: standings.revenue_count,
                gaps: standings.gap_count,
                config: config.clone(),
                options: options.clone(),
                part_customers,
                checked,
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
