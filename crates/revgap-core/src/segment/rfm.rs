//! RFM segments: recency, frequency and monetary scores by quintile (5 best), mapped to the
//! usual named segments on a recency × frequency-and-monetary grid.

use super::Activity;

/// Quintile scores 1–5 from the customer's mid-rank (the share strictly worse, plus half of
/// the ties), in fifths. Ties share a score, so equal customers never land in different
/// segments, and a value most customers share (recency 0 among weekly shoppers) sits in the
/// middle of its block rather than at its worst end.
fn quintiles(values: &[f64], higher_is_better: bool) -> Vec<u8> {
    let n = values.len() as f64;
    crate::stats::by_tie_blocks(values, |below, ties| {
        let worse = if higher_is_better {
            below
        } else {
            values.len() - below - ties
        };
        let mid_rank = (worse as f64 + ties as f64 / 2.0) / n;
        (1 + (5.0 * mid_rank) as u8).min(5)
    })
}

/// The named segment of recency score `r` and frequency-monetary score `fm` (both 1–5).
pub fn name(r: u8, fm: u8) -> &'static str {
    let recent = r >= 4;
    let middling = r == 3;
    let high = fm >= 4;
    let mid = fm == 2 || fm == 3;
    if recent {
        if high {
            "champions"
        } else if mid {
            "potential loyalists"
        } else {
            "new"
        }
    } else if middling {
        if high {
            "loyal"
        } else if mid {
            "need attention"
        } else {
            "promising"
        }
    } else if fm == 5 {
        "can't lose them"
    } else if fm >= 3 {
        "at risk"
    } else if r == 2 {
        "about to sleep"
    } else if fm == 2 {
        "hibernating"
    } else {
        "lost"
    }
}

/// Every customer's RFM segment; a customer who never bought is "lost".
pub fn segments(activity: &[Activity]) -> Vec<&'static str> {
    let recency: Vec<f64> = activity
        .iter()
        .map(|a| a.weeks_since_last_purchase as f64)
        .collect();
    let frequency: Vec<f64> = activity.iter().map(|a| a.purchase_weeks as f64).collect();
    let monetary: Vec<f64> = activity.iter().map(|a| a.total_spend).collect();
    let (r, f, m) = (
        quintiles(&recency, false),
        quintiles(&frequency, true),
        quintiles(&monetary, true),
    );
    activity
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if a.history_weeks == 0 {
                return "lost";
            }
            let fm = (u16::from(f[i]) + u16::from(m[i])).div_ceil(2) as u8;
            name(r[i], fm)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grid_cell_has_one_of_the_eleven_names() {
        let mut seen = std::collections::BTreeSet::new();
        for r in 1..=5 {
            for fm in 1..=5 {
                seen.insert(name(r, fm));
            }
        }
        assert_eq!(seen.len(), 11, "{seen:?}");
        assert_eq!(name(5, 5), "champions");
        assert_eq!(name(1, 1), "lost");
        assert_eq!(name(1, 5), "can't lose them");
    }

    #[test]
    fn quintiles_share_scores_on_ties_and_reward_the_better_end() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let higher = quintiles(&values, true);
        assert_eq!(higher, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let lower = quintiles(&values, false);
        assert_eq!(lower[0], 5, "the smallest recency is the best");
        assert_eq!(lower[9], 1);
        assert_eq!(lower[4], lower[5], "ties share a score");
    }
}
