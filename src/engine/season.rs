//! Which expected spend the recent weeks are compared with: the original's baseline (the
//! first weeks of the customer's history), a trailing level (the weeks just before the recent
//! window), or the seasonal expectation: that level × how the season moves spend from the
//! level window to the recent one (the customer's own change over the same weeks a year
//! earlier, shrunk toward the whole population's seasonal profile). The seasonal baseline is
//! used when the data hold at least a year plus the windows; with less, the original's, so the
//! original's data give the original's counts. `--baseline` (or `[windows] baseline`) forces one.

use crate::config::{BaselineChoice, Config};
use crate::data::Dataset;
use chrono::Datelike;
use rayon::prelude::*;
use serde::Serialize;

/// The baseline an analysis used (named in every output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineKind {
    Original,
    Trailing,
    Seasonal,
}

impl BaselineKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Trailing => "trailing",
            Self::Seasonal => "seasonal",
        }
    }
}

/// Weeks a year back.
const YEAR: usize = 52;

/// The seasonal context of one analysis: the baseline in use and, per panel week, the
/// population's seasonal multiplier (mean 1 over the year).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Season {
    pub kind: Option<BaselineKind>,
    pub multipliers: Vec<f64>,
    /// Per panel week, the calendar's factor on expected spend (empty without events).
    pub calendar: Vec<f64>,
}

impl Season {
    /// Chooses the baseline for `dataset` and estimates the seasonal profile when needed.
    pub fn of(dataset: &Dataset, config: &Config) -> Self {
        let weeks = dataset.week_count();
        let windows = &config.windows;
        let seasonal_fits = weeks >= YEAR + windows.level_weeks + windows.recent_weeks;
        let kind = match windows.baseline {
            BaselineChoice::Auto if seasonal_fits => BaselineKind::Seasonal,
            BaselineChoice::Auto | BaselineChoice::Original => BaselineKind::Original,
            BaselineChoice::Trailing => BaselineKind::Trailing,
            BaselineChoice::Seasonal => BaselineKind::Seasonal,
        };
        let multipliers = if kind == BaselineKind::Seasonal {
            profile(dataset)
        } else {
            Vec::new()
        };
        Self {
            kind: Some(kind),
            multipliers,
            calendar: calendar_factors(dataset, config),
        }
    }

    /// Expected spend for the recent window and the latest week moved by the calendar: the
    /// reference weeks' events are taken out, the recent weeks' put in.
    pub fn with_calendar(
        &self,
        (recent, latest): (f64, f64),
        reference: std::ops::Range<usize>,
        recent_weeks: usize,
    ) -> (f64, f64) {
        let n = self.calendar.len();
        if n == 0 || reference.end > n || recent_weeks > n {
            return (recent, latest);
        }
        let mean = |range: std::ops::Range<usize>| {
            self.calendar[range.clone()].iter().sum::<f64>() / range.len().max(1) as f64
        };
        let reference_factor = mean(reference).max(1e-9);
        let recent_factor = mean(n - recent_weeks..n);
        (
            recent * recent_factor / reference_factor,
            latest * self.calendar[n - 1] / reference_factor,
        )
    }

    pub fn kind(&self) -> BaselineKind {
        self.kind.unwrap_or(BaselineKind::Original)
    }

    /// The expected weekly spend for the recent window and for the latest week, from a
    /// customer's weeks (oldest first, the whole panel); `None` when their history is too
    /// short for the trailing windows (they are then new).
    pub fn expected(&self, weeks: &[f64], config: &Config) -> Option<(f64, f64)> {
        let windows = &config.windows;
        let (recent, level) = (windows.recent_weeks, windows.level_weeks);
        let n = weeks.len();
        let first = weeks.iter().position(|v| *v > 0.0)?;
        if n - first < recent + level {
            return None;
        }
        let level_window = n - recent - level..n - recent;
        let recent_window = n - recent..n;
        let mean = |range: std::ops::Range<usize>, values: &[f64]| {
            values[range.clone()].iter().sum::<f64>() / range.len() as f64
        };
        let level_spend = mean(level_window.clone(), weeks);
        if self.kind() != BaselineKind::Seasonal || self.multipliers.len() != n {
            return Some((level_spend, level_spend));
        }
        let m = &self.multipliers;
        let population = mean(recent_window.clone(), m) / mean(level_window.clone(), m);
        let latest_population = m[n - 1] / mean(level_window.clone(), m);
        // The customer's own change over the same weeks a year earlier, when they were buying.
        let own = (first + YEAR <= level_window.start).then(|| {
            let before = mean(level_window.start - YEAR..level_window.end - YEAR, weeks);
            let after = mean(recent_window.start - YEAR..recent_window.end - YEAR, weeks);
            (before > 0.0).then(|| after / before)
        });
        let shrink = config.windows.own_season_weight;
        let ratio = match own.flatten() {
            Some(own) => shrink * own + (1.0 - shrink) * population,
            None => population,
        };
        let latest_ratio = ratio * latest_population / population.max(1e-12);
        Some((level_spend * ratio, level_spend * latest_ratio))
    }
}

/// Per panel week, the product of the factors of the calendar events it overlaps (and of the
/// after-event factors of the weeks following one); empty without events.
fn calendar_factors(dataset: &Dataset, config: &Config) -> Vec<f64> {
    let events = &config.calendar.events;
    if events.is_empty() {
        return Vec::new();
    }
    let starts = &dataset.week_starts;
    let mut factors = vec![1.0; starts.len()];
    for event in events {
        let mut last_overlap: Option<usize> = None;
        for (week, start) in starts.iter().enumerate() {
            let end = *start + chrono::Days::new(6);
            if *start <= event.end && end >= event.start {
                factors[week] *= event.lift;
                last_overlap = Some(week);
            }
        }
        if let Some(last) = last_overlap {
            for factor in factors.iter_mut().skip(last + 1).take(event.after_weeks) {
                *factor *= event.after_lift;
            }
        }
    }
    factors
}

/// The population's seasonal multiplier per panel week: total spend that week over the mean
/// weekly total, averaged across years for the same week of the year, with each customer's
/// weeks capped at five times their mean so a few huge orders cannot make a season.
fn profile(dataset: &Dataset) -> Vec<f64> {
    let weeks = dataset.week_count();
    let totals: Vec<f64> = (0..dataset.customer_count())
        .into_par_iter()
        .fold(
            || vec![0.0; weeks],
            |mut totals, customer| {
                let spend = dataset.weeks_of(customer);
                let cap = 5.0 * spend.iter().sum::<f64>() / weeks.max(1) as f64;
                for (total, value) in totals.iter_mut().zip(spend) {
                    *total += value.min(cap);
                }
                totals
            },
        )
        .reduce(
            || vec![0.0; weeks],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    let overall = totals.iter().sum::<f64>() / weeks.max(1) as f64;
    if overall <= 0.0 {
        return vec![1.0; weeks];
    }
    let week_of_year = |w: usize| dataset.week_starts[w].iso_week().week().min(52) as usize - 1;
    let mut by_week = [0.0f64; 52];
    let mut counts = [0usize; 52];
    for (w, total) in totals.iter().enumerate() {
        by_week[week_of_year(w)] += total / overall;
        counts[week_of_year(w)] += 1;
    }
    (0..weeks)
        .map(|w| {
            let k = week_of_year(w);
            if counts[k] == 0 {
                1.0
            } else {
                by_week[k] / counts[k] as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::default()
    }

    #[test]
    fn a_seasonal_shopper_in_january_is_expected_to_spend_less() {
        // 104 weeks: a customer at 100 whose spend halves every January.
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 27).unwrap();
        let week_starts: Vec<_> = (0..104u64)
            .map(|w| start + chrono::Days::new(7 * w))
            .collect();
        let spend = |w: usize| {
            if week_starts[w].month() == 1 {
                50.0
            } else {
                100.0
            }
        };
        let rows = vec![
            (
                "seasonal".to_string(),
                (0..104).map(spend).collect::<Vec<_>>(),
            ),
            ("steady".to_string(), vec![80.0; 104]),
        ];
        let dataset = Dataset::from_rows(week_starts.clone(), rows);
        let season = Season::of(&dataset, &config());
        assert_eq!(season.kind(), BaselineKind::Seasonal);
        let (expected, _) = season.expected(dataset.weeks_of(0), &config()).unwrap();
        let recent = dataset.weeks_of(0)[100..].iter().sum::<f64>() / 4.0;
        assert!(
            (expected - recent).abs() / recent < 0.1,
            "{expected} vs {recent}"
        );
        // The steady shopper's own last year says: no January dip.
        let (steady, _) = season.expected(dataset.weeks_of(1), &config()).unwrap();
        assert!((steady - 80.0).abs() < 10.0, "{steady}");
    }

    #[test]
    fn short_data_keep_the_original_baseline() {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 9, 6).unwrap();
        let week_starts: Vec<_> = (0..12u64)
            .map(|w| start + chrono::Days::new(7 * w))
            .collect();
        let dataset = Dataset::from_rows(week_starts, vec![("a".into(), vec![5.0; 12])]);
        assert_eq!(
            Season::of(&dataset, &config()).kind(),
            BaselineKind::Original
        );
    }
}
