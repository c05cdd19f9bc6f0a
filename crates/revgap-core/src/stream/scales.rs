//! The percentile scales of a streamed panel, kept on the disk: every customer's total spend
//! and |gap| with whose it is, merged into each customer's standing among everyone and read
//! back in the panel's order.

use crate::engine::CustomerScore;
use crate::engine::partition::Standing;
use crate::spill::{Counted, Keyed, Merge, Spill};

/// The percentile scales of a streamed panel, on disk: every customer's total spend and every
/// |gap|, each with whose it is, so memory stays a batch whatever the customer count.
pub(super) struct SpilledScales {
    revenues: Spill<Keyed>,
    gaps: Spill<Keyed>,
    batch: usize,
}

impl SpilledScales {
    pub(super) fn new(batch: usize) -> Self {
        Self {
            revenues: Spill::new(batch, Keyed::descending),
            gaps: Spill::new(batch, Keyed::descending),
            batch,
        }
    }

    /// Adds a part's customers, the first of them the panel's customer `first`.
    pub(super) fn add(&mut self, first: u64, scores: &[CustomerScore]) -> std::io::Result<()> {
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
    pub(super) fn standings(self) -> std::io::Result<Standings> {
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
pub(super) struct Standings {
    revenues: std::iter::Peekable<Merge<Counted>>,
    pub(super) revenue_count: u64,
    gaps: std::iter::Peekable<Merge<Counted>>,
    pub(super) gap_count: u64,
    /// The last customer asked about, and their standing (they may be asked again).
    last: Option<(u64, Standing)>,
}

impl Standings {
    /// The standing of the panel's customer `customer` (asked in increasing order).
    pub(super) fn of(&mut self, customer: u64) -> std::io::Result<Standing> {
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
