//! The ranking of every customer with a gap of a streamed panel, made on the disk: each
//! one's priority on the whole panel's scales, sorted in the ranking's order (ties on every
//! number broken by id, read back from the disk), then sorted back by customer, so the
//! listing reads each customer's rank and standing in the panel's order.

use super::scales::Standings;
use crate::config::Config;
use crate::engine::partition::Standing;
use crate::engine::{self, CustomerScore};
use crate::spill::{self, Merge, Record, Spill};
use std::cmp::Ordering;

/// What ranking everyone needs of a customer with a gap, kept from the first reading (on
/// disk, in the panel's order).
#[derive(Debug, Clone, Copy)]
pub(super) struct RankInput {
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
    pub(super) fn of(owner: u64, id: u64, score: &CustomerScore) -> Option<Self> {
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

    pub(super) fn by_owner(a: &Self, b: &Self) -> Ordering {
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
pub(super) struct RankedEntry {
    pub(super) owner: u64,
    pub(super) rank: u64,
    pub(super) revenues_at_most: u64,
    pub(super) gaps_at_most: u64,
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
pub(super) fn rank_everyone(
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
