//! A shortfall judged against the customer's own noise: is the recent window's spend further
//! below what was expected than this customer's week-to-week variation explains?
//!
//! Purchases are compared, not weeks: a weekly shopper's skipped week or a monthly shopper's
//! empty weeks are their rhythm, not a lower spend (a quiet spell is judged apart, see
//! `gaps`). The customer's purchase amounts are divided by the population's seasonal profile
//! (when the analysis has a seasonal baseline); what remains is described as their own level
//! plus, given a year of history, one annual wave of their own (a least-squares sine and
//! cosine fitted on the weeks before the last `recent + level` ones, so a decline under way
//! does not bend it). The level is a trimmed mean of the usual purchases (so the first
//! purchases of a decline that began before the recent window do not drag it down); the
//! spread is the purchase-to-purchase variation around the wave (from successive
//! differences). The shortfall's size in standard errors (the recent mean's and the level's)
//! says how sure it is; its percentage says how large.
//!
//! Owns the statistic only; `gaps` decides what it means. Uses `season` and the config.

use super::season::{BaselineKind, Season};
use crate::config::Config;

/// One customer's shortfall statistic.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Shortfall {
    /// Mean weekly spend expected over the recent window.
    pub expected: f64,
    /// Mean weekly spend over the recent window.
    pub recent: f64,
    /// The customer's usual week-to-week spread (standard deviation of a week, in the recent
    /// weeks' terms).
    pub spread: f64,
    /// How many standard errors the recent mean is below the expectation (negative: above).
    pub sigmas: f64,
    /// (recent − expected) / expected × 100.
    pub pct: f64,
    /// Weeks in the recent window.
    pub weeks: usize,
}

/// Share of the reference weeks trimmed from each end for the level.
const TRIM: f64 = 0.2;
/// The least week-to-week spread assumed, relative to the level: a customer who always spends
/// the same amount does not alarm at a cent.
const SPREAD_FLOOR: f64 = 0.05;
/// Weeks in a year: the period of a customer's own wave.
const YEAR: f64 = 52.0;

/// The shortfall of a customer's recent purchases, from their whole panel of weeks (oldest
/// first). Amounts are compared purchase by purchase (weeks with spend), so a skipped week of
/// a weekly shopper or the empty weeks of a monthly one are not a lower spend: the recent
/// purchases are those in the recent window (at least the last two), the usual ones those of
/// the `windows.reference_weeks` before it. Weekly figures are the purchase amounts times the
/// customer's usual share of weeks with a purchase. `None` without enough purchases to judge
/// (fewer than `windows.level_weeks` usual ones or no recent one: a quiet spell is judged
/// apart), or with a usual amount that is not positive.
pub fn assess(
    customer: usize,
    weeks: &[f64],
    season: &Season,
    config: &Config,
) -> Option<Shortfall> {
    let n = weeks.len();
    let first = weeks.iter().position(|v| *v > 0.0)?;
    let recent_weeks = config.windows.recent_weeks;
    let purchases: Vec<usize> = (first..n).filter(|t| weeks[*t] > 0.0).collect();
    let fit_end = n.saturating_sub(recent_weeks + config.windows.level_weeks);
    // How much of the population's season this customer follows (0: none, 1: all of it),
    // learned from their purchases before the recent weeks.
    let (profile, _) = season.profile_of(customer);
    let seasonal = season.kind() == BaselineKind::Seasonal && profile.len() == n;
    let elasticity = if seasonal {
        season_elasticity(weeks, profile, &purchases, fit_end)
    } else {
        0.0
    };
    // The calendar's events (promotions, closures) move what is expected in their weeks.
    let calendar = |t: usize| {
        season
            .calendar
            .get(t)
            .copied()
            .filter(|f| *f > 0.0)
            .unwrap_or(1.0)
    };
    let population = |t: usize| -> f64 {
        let seasonal = if elasticity > 0.0 && profile[t] > 0.0 {
            profile[t].powf(elasticity)
        } else {
            1.0
        };
        seasonal * calendar(t)
    };
    // The recent purchases: those in the recent window, at least the last two.
    let in_window = purchases
        .iter()
        .filter(|t| **t >= n - recent_weeks.min(n))
        .count();
    let recent_count = in_window.max(2).min(purchases.len());
    if in_window == 0 || purchases.len() < recent_count + config.windows.level_weeks {
        return None;
    }
    let (usual, recent) = purchases.split_at(purchases.len() - recent_count);
    let reference_start = recent[0].saturating_sub(config.windows.reference_weeks);
    let usual: Vec<usize> = usual
        .iter()
        .copied()
        .filter(|t| *t >= reference_start)
        .collect();
    if usual.len() < config.windows.level_weeks {
        return None;
    }
    // Deseasonalized by the population; then the customer's own wave, fitted on the weeks
    // before the recent window and its level weeks, so a decline under way does not bend it.
    let adjusted: Vec<f64> = (0..n).map(|t| weeks[t] / population(t)).collect();
    let bought_before_fit_end: Vec<f64> = (first..fit_end).map(|t| adjusted[t]).collect();
    let wave = own_wave(&bought_before_fit_end, first);
    let shape = |t: usize| 1.0 + wave.map_or(0.0, |w| w.at(t));
    let level_terms: Vec<f64> = usual.iter().map(|t| adjusted[*t] / shape(*t)).collect();
    let level = trimmed_mean(&level_terms, TRIM);
    if level <= 0.0 {
        return None;
    }
    // Purchase-to-purchase variation in level terms (half the mean squared successive
    // difference, which a season or a slow slide barely moves).
    let variance = level_terms
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).powi(2))
        .sum::<f64>()
        / (2 * (level_terms.len() - 1).max(1)) as f64;
    let relative_spread = (variance.sqrt() / level).max(SPREAD_FLOOR);
    let span = (recent_start_of(&usual, recent) - usual[0]).max(1) as f64;
    let purchase_share = (usual.len() as f64 / span).min(1.0);
    // The recent purchases, and the latest half of them: a decline that began only weeks ago
    // shows in the latest purchases before it moves the whole window. The surer is reported.
    let halves = [recent.len().div_ceil(2), recent.len()];
    halves
        .iter()
        .filter(|count| **count >= 2 || recent.len() < 2)
        .map(|&count| {
            let window = &recent[recent.len() - count..];
            let expected = window
                .iter()
                .map(|t| level * population(*t) * shape(*t))
                .sum::<f64>()
                / count as f64;
            let mean = window.iter().map(|t| weeks[*t]).sum::<f64>() / count as f64;
            let error = relative_spread
                * expected
                * (1.0 / count as f64 + 1.0 / level_terms.len() as f64).sqrt();
            let pct = (mean - expected) / expected * 100.0;
            let weekly = expected * purchase_share;
            Shortfall {
                expected: weekly,
                recent: weekly * (1.0 + pct / 100.0),
                spread: relative_spread * weekly,
                sigmas: (expected - mean) / error,
                pct,
                weeks: n - window[0],
            }
        })
        .max_by(|a, b| a.sigmas.total_cmp(&b.sigmas))
}

/// The customer's elasticity to the population's seasonal profile: the least-squares slope of
/// the log purchase amount on the log profile over their purchases before `end`, kept within
/// 0 to 1.5; 0 when the profile barely varies over those weeks or there are too few of them.
fn season_elasticity(weeks: &[f64], profile: &[f64], purchases: &[usize], end: usize) -> f64 {
    let points: Vec<(f64, f64)> = purchases
        .iter()
        .filter(|t| **t < end && profile[**t] > 0.0)
        .map(|t| (profile[*t].ln(), weeks[*t].ln()))
        .collect();
    if points.len() < YEAR as usize / 2 {
        return 0.0;
    }
    let count = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / count, b + y / count));
    let (sxx, sxy) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx).powi(2), b + (x - mx) * (y - my))
    });
    if sxx / count < 1e-4 {
        return 0.0;
    }
    (sxy / sxx).clamp(0.0, 1.5)
}

/// The week the recent purchases start after the usual ones (for the purchase share).
fn recent_start_of(usual: &[usize], recent: &[usize]) -> usize {
    recent
        .first()
        .copied()
        .unwrap_or_else(|| usual.last().map_or(0, |t| t + 1))
}

/// A customer's usual weekly spend before a quiet spell of `quiet` weeks at the end of their
/// weeks: the mean over up to `windows.reference_weeks` weeks before it, from their first
/// purchase on (0 without any).
pub fn usual_before_spell(weeks: &[f64], quiet: usize, config: &Config) -> f64 {
    let n = weeks.len();
    let Some(first) = weeks.iter().position(|v| *v > 0.0) else {
        return 0.0;
    };
    let end = n.saturating_sub(quiet).max(first + 1);
    let start = end
        .saturating_sub(config.windows.reference_weeks)
        .max(first);
    weeks[start..end].iter().sum::<f64>() / (end - start) as f64
}

/// A customer's own annual wave, relative to their level: `sine·sin + cosine·cos` of the week.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Wave {
    sine: f64,
    cosine: f64,
}

impl Wave {
    fn at(&self, t: usize) -> f64 {
        let angle = std::f64::consts::TAU * t as f64 / YEAR;
        self.sine * angle.sin() + self.cosine * angle.cos()
    }
}

/// Least squares of `values` (panel weeks from `offset` on) on a level and one annual sine
/// and cosine; `None` with less than a year of weeks. The wave is kept relative to the level
/// and its amplitude capped below 1, so the expected spend stays positive.
fn own_wave(values: &[f64], offset: usize) -> Option<Wave> {
    if values.len() < YEAR as usize {
        return None;
    }
    let rows: Vec<[f64; 3]> = (0..values.len())
        .map(|i| {
            let angle = std::f64::consts::TAU * (i + offset) as f64 / YEAR;
            [1.0, angle.sin(), angle.cos()]
        })
        .collect();
    let mut normal = vec![vec![0.0; 3]; 3];
    let mut right = vec![0.0; 3];
    for (row, y) in rows.iter().zip(values) {
        for a in 0..3 {
            right[a] += row[a] * y;
            for b in 0..3 {
                normal[a][b] += row[a] * row[b];
            }
        }
    }
    let solved = crate::model::linalg::solve(normal, right)?;
    let level = solved[0];
    if level <= 0.0 {
        return None;
    }
    let (sine, cosine) = (solved[1] / level, solved[2] / level);
    let amplitude = sine.hypot(cosine);
    let cap = 0.8;
    let scale = if amplitude > cap {
        cap / amplitude
    } else {
        1.0
    };
    Some(Wave {
        sine: sine * scale,
        cosine: cosine * scale,
    })
}

/// The mean of the middle of `values` (the lowest and highest `share` of them left out).
fn trimmed_mean(values: &[f64], share: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let cut = (sorted.len() as f64 * share).floor() as usize;
    let kept = &sorted[cut..sorted.len() - cut];
    kept.iter().sum::<f64>() / kept.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season_for(weeks: &[f64]) -> Season {
        let data = crate::data::Dataset::from_rows(
            (0..weeks.len() as u64)
                .map(|w| {
                    chrono::NaiveDate::from_ymd_opt(2025, 1, 4).unwrap() + chrono::Days::new(7 * w)
                })
                .collect(),
            vec![("c".into(), weeks.to_vec())],
        );
        Season::of(&data, &Config::default())
    }

    #[test]
    fn a_noisy_steady_shopper_is_within_their_noise_and_a_decline_is_not() {
        let config = Config::default();
        // ±20 % around $100, a zero week: the last four weeks are low but usual for them.
        let noisy: Vec<f64> = (0..30)
            .map(|w| match w % 5 {
                0 => 80.0,
                1 => 120.0,
                2 => 100.0,
                3 => 0.0,
                _ => 110.0,
            })
            .collect();
        let usual = assess(0, &noisy, &season_for(&noisy), &config).unwrap();
        assert!(usual.sigmas < 2.0, "{usual:?}");
        // The same shopper, their last six weeks at a third.
        let mut falling = noisy.clone();
        for week in falling.iter_mut().skip(24) {
            *week /= 3.0;
        }
        let found = assess(0, &falling, &season_for(&falling), &config).unwrap();
        assert!(found.sigmas > 3.0 && found.pct < -50.0, "{found:?}");
        // The two weeks of the decline inside the reference window do not lower the level.
        assert!((found.expected - usual.expected).abs() / usual.expected < 0.1);
    }

    #[test]
    fn a_customers_own_season_is_expected_not_alarmed() {
        let config = Config::default();
        // Two years with a ±30 % annual wave of their own: the trough now is their usual.
        let weeks: Vec<f64> = (0..104)
            .map(|t| {
                let angle = std::f64::consts::TAU * (t as f64 + 13.0) / 52.0;
                100.0 * (1.0 + 0.3 * angle.sin())
            })
            .collect();
        let found = assess(0, &weeks, &season_for(&weeks), &config).unwrap();
        assert!(found.pct.abs() < 3.0 && found.sigmas < 1.0, "{found:?}");
    }

    #[test]
    fn the_trimmed_mean_drops_both_ends() {
        assert_eq!(trimmed_mean(&[0.0, 10.0, 10.0, 10.0, 100.0], 0.2), 10.0);
        assert_eq!(trimmed_mean(&[5.0], 0.2), 5.0);
    }
}
