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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// The seasonal multiplier by week of the year (index 0 = ISO week 1), for forecasts.
    pub by_week_of_year: Vec<f64>,
    /// First day of the week after the data (where forecasts start).
    pub next_week: Option<chrono::NaiveDate>,
    /// Per panel week, the calendar's factor on expected spend (empty without events).
    pub calendar: Vec<f64>,
    /// Profiles per segment of `windows.season_by` (empty: everyone follows the overall one).
    pub segments: SegmentProfiles,
}

/// Seasonal profiles per segment, each shrunk toward the overall profile by its size.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SegmentProfiles {
    /// The dimension's label per segment, in code order.
    pub labels: Vec<String>,
    /// Per customer, the code of their segment.
    pub codes: Vec<u16>,
    /// Per segment: (multiplier per panel week, multiplier by week of the year).
    pub profiles: Vec<(Vec<f64>, Vec<f64>)>,
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
        let (multipliers, by_week_of_year, segments) = if kind == BaselineKind::Seasonal {
            let (multipliers, by_week_of_year) = profile(dataset);
            let segments = segment_profiles(dataset, config, &multipliers);
            (multipliers, by_week_of_year, segments)
        } else {
            (Vec::new(), Vec::new(), SegmentProfiles::default())
        };
        Self {
            kind: Some(kind),
            multipliers,
            by_week_of_year,
            segments,
            next_week: dataset
                .week_starts
                .last()
                .map(|d| *d + chrono::Days::new(7)),
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

    /// The seasonal profile customer `customer` follows: their segment's, else the overall
    /// one (per panel week, by week of the year).
    pub fn profile_of(&self, customer: usize) -> (&[f64], &[f64]) {
        match self.segments.codes.get(customer) {
            Some(code) => {
                let (per_week, by_week_of_year) = &self.segments.profiles[usize::from(*code)];
                (per_week, by_week_of_year)
            }
            None => (&self.multipliers, &self.by_week_of_year),
        }
    }

    /// The expected weekly spend for the recent window and for the latest week, from a
    /// customer's weeks (oldest first, the whole panel); `None` when their history is too
    /// short for the trailing windows (they are then new).
    pub fn expected(&self, customer: usize, weeks: &[f64], config: &Config) -> Option<(f64, f64)> {
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
        let (ratio, latest_ratio) =
            self.ratios(customer, weeks, first, level_window, recent_window, config);
        Some((level_spend * ratio, level_spend * latest_ratio))
    }

    /// How much the season changes a customer's spend from the `level` weeks to the `recent`
    /// ones (mean to mean) and to the latest week: 1 without a seasonal baseline; else the
    /// population's change, blended (`windows.own_season_weight`) with the customer's own
    /// change over the same weeks a year earlier when they were buying then. `first` is the
    /// customer's first week with spend.
    pub fn ratios(
        &self,
        customer: usize,
        weeks: &[f64],
        first: usize,
        level_window: std::ops::Range<usize>,
        recent_window: std::ops::Range<usize>,
        config: &Config,
    ) -> (f64, f64) {
        let n = weeks.len();
        let mean = |range: std::ops::Range<usize>, values: &[f64]| {
            values[range.clone()].iter().sum::<f64>() / range.len().max(1) as f64
        };
        let (m, _) = self.profile_of(customer);
        if self.kind() != BaselineKind::Seasonal || m.len() != n {
            return (1.0, 1.0);
        }
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
        (ratio, ratio * latest_population / population.max(1e-12))
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
fn profile(dataset: &Dataset) -> (Vec<f64>, Vec<f64>) {
    let totals = weekly_totals(dataset, 1, |_| 0);
    profile_of_totals(dataset, &totals[0])
}

/// Per group, the total spend of each panel week, in one pass over the customers (each
/// customer's weeks capped at five times their mean).
fn weekly_totals(
    dataset: &Dataset,
    groups: usize,
    group_of: impl Fn(usize) -> usize + Sync,
) -> Vec<Vec<f64>> {
    let weeks = dataset.week_count();
    let zero = || vec![vec![0.0; weeks]; groups];
    (0..dataset.customer_count())
        .into_par_iter()
        .fold(zero, |mut totals, customer| {
            let spend = dataset.weeks_of(customer);
            let cap = 5.0 * spend.iter().sum::<f64>() / weeks.max(1) as f64;
            for (total, value) in totals[group_of(customer)].iter_mut().zip(spend.iter()) {
                *total += value.min(cap);
            }
            totals
        })
        .reduce(zero, |mut a, b| {
            for (group_a, group_b) in a.iter_mut().zip(b) {
                for (x, y) in group_a.iter_mut().zip(group_b) {
                    *x += y;
                }
            }
            a
        })
}

/// The multipliers of one group's weekly totals (see [`profile`]).
fn profile_of_totals(dataset: &Dataset, totals: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let weeks = dataset.week_count();
    let overall = totals.iter().sum::<f64>() / weeks.max(1) as f64;
    if overall <= 0.0 {
        return (vec![1.0; weeks], vec![1.0; 52]);
    }
    let week_of_year = |w: usize| dataset.week_starts[w].iso_week().week().min(52) as usize - 1;
    let mut by_week = [0.0f64; 52];
    let mut counts = [0usize; 52];
    for (w, total) in totals.iter().enumerate() {
        by_week[week_of_year(w)] += total / overall;
        counts[week_of_year(w)] += 1;
    }
    let by_week_of_year: Vec<f64> = (0..52)
        .map(|k| {
            if counts[k] == 0 {
                1.0
            } else {
                by_week[k] / counts[k] as f64
            }
        })
        .collect();
    let per_week = (0..weeks)
        .map(|w| by_week_of_year[week_of_year(w)])
        .collect();
    (per_week, by_week_of_year)
}

/// One profile per segment of `windows.season_by`: the segment's own profile (as `profile`,
/// over its members) shrunk toward the overall one, week by week, with the overall weighted as
/// `windows.season_shrink_customers` customers against the segment's size.
fn segment_profiles(dataset: &Dataset, config: &Config, overall: &[f64]) -> SegmentProfiles {
    let by = &config.windows.season_by;
    if by == "none" {
        return SegmentProfiles::default();
    }
    let Ok(dimension) = crate::segment::Dimension::parse(by, dataset) else {
        tracing::warn!(dimension = %by, "windows.season_by: not in these data; one profile");
        return SegmentProfiles::default();
    };
    let Some(labels) = crate::segment::labels_of(dataset, config, &dimension) else {
        return SegmentProfiles::default();
    };
    let mut sizes = vec![0usize; labels.names.len()];
    for code in &labels.codes {
        sizes[usize::from(*code)] += 1;
    }
    let totals = weekly_totals(dataset, labels.names.len(), |c| {
        usize::from(labels.codes[c])
    });
    let week_of_year = |w: usize| dataset.week_starts[w].iso_week().week().min(52) as usize - 1;
    let overall_by_week: Vec<f64> = {
        let mut by_week = vec![1.0; 52];
        for (w, m) in overall.iter().enumerate() {
            by_week[week_of_year(w)] = *m;
        }
        by_week
    };
    let shrink = config.windows.season_shrink_customers;
    let profiles = (0..labels.names.len())
        .map(|code| {
            let (own, _) = profile_of_totals(dataset, &totals[code]);
            let size = sizes[code] as f64;
            let weight = size / (size + shrink).max(f64::MIN_POSITIVE);
            let per_week: Vec<f64> = own
                .iter()
                .zip(overall)
                .map(|(own, overall)| weight * own + (1.0 - weight) * overall)
                .collect();
            let mut by_week = overall_by_week.clone();
            for (w, m) in per_week.iter().enumerate() {
                by_week[week_of_year(w)] = *m;
            }
            (per_week, by_week)
        })
        .collect();
    SegmentProfiles {
        labels: labels.names.clone(),
        codes: labels.codes.clone(),
        profiles,
    }
}

/// A customer's expected spend over the next weeks, with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forecast {
    pub weeks: usize,
    pub expected: f64,
    pub low: f64,
    pub high: f64,
}

impl Season {
    /// Forecasts the `horizon` weeks after the data: the customer's level (the trailing
    /// `level_weeks` before the end) moved week by week by the season (their own change a
    /// year earlier where they have it, shrunk toward the population's profile), with a
    /// central `interval` from their own week-to-week variation around that level, widened by
    /// the uncertainty of the level itself. `None` without enough history.
    pub fn forecast(
        &self,
        customer: usize,
        weeks: &[f64],
        config: &Config,
        horizon: usize,
        interval: f64,
    ) -> Option<Forecast> {
        let level_weeks = config.windows.level_weeks.max(config.windows.recent_weeks);
        let n = weeks.len();
        let first = weeks.iter().position(|v| *v > 0.0)?;
        if n - first < level_weeks || horizon == 0 {
            return None;
        }
        let window = n - level_weeks..n;
        let (multipliers, by_week_of_year) = self.profile_of(customer);
        let seasonal = self.kind() == BaselineKind::Seasonal && multipliers.len() == n;
        let deseasonalised = |w: usize| {
            if seasonal {
                weeks[w] / multipliers[w].max(1e-6)
            } else {
                weeks[w]
            }
        };
        // The level is the mean of the deseasonalised level window; the week-to-week spread is
        // measured over up to half a year (eight weeks alone would make the interval too
        // narrow too often).
        let level = window.clone().map(deseasonalised).sum::<f64>() / level_weeks as f64;
        let spread_start = n.saturating_sub(26).max(first);
        let spread: Vec<f64> = (spread_start..n).map(deseasonalised).collect();
        let spread_mean = spread.iter().sum::<f64>() / spread.len() as f64;
        let variance = spread
            .iter()
            .map(|v| (v - spread_mean).powi(2))
            .sum::<f64>()
            / (spread.len().max(2) - 1) as f64;
        let shrink = config.windows.own_season_weight;
        let mut expected = 0.0;
        let mut scale_sq = 0.0;
        let mut own_noise = 0.0;
        for k in 0..horizon {
            let factor = if seasonal {
                let date = self.next_week.map(|d| d + chrono::Days::new(7 * k as u64));
                let population = date.map_or(1.0, |d| {
                    by_week_of_year[d.iso_week().week().min(52) as usize - 1]
                });
                // The same week a year earlier against that year's level window.
                let year_ago = (n + k)
                    .checked_sub(YEAR)
                    .filter(|w| *w < n && first + YEAR <= n - level_weeks);
                let own = year_ago.and_then(|w| {
                    let before: f64 = weeks[window.start - YEAR..window.end - YEAR]
                        .iter()
                        .sum::<f64>()
                        / level_weeks as f64;
                    let m_before: f64 = multipliers[window.start - YEAR..window.end - YEAR]
                        .iter()
                        .sum::<f64>()
                        / level_weeks as f64;
                    (before > 0.0).then(|| weeks[w] / before * m_before)
                });
                match own {
                    // A year-ago week is as noisy as any week: its noise enters the factor.
                    Some(own) => {
                        own_noise += (shrink * own).powi(2);
                        shrink * own + (1.0 - shrink) * population
                    }
                    None => population,
                }
            } else {
                1.0
            };
            expected += level * factor;
            scale_sq += factor * factor;
        }
        // Var(Σ factor_k (level + e_k)) = Σ f² σ² + (Σ f)² σ² / L.
        let sum_factor = if level > 0.0 {
            expected / level
        } else {
            horizon as f64
        };
        let sd = (variance * (scale_sq + own_noise + sum_factor * sum_factor / level_weeks as f64))
            .sqrt();
        let z = crate::stats::normal_quantile(0.5 + interval / 2.0);
        Some(Forecast {
            weeks: horizon,
            expected,
            low: (expected - z * sd).max(0.0),
            high: expected + z * sd,
        })
    }
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
        let (expected, _) = season.expected(0, &dataset.weeks_of(0), &config()).unwrap();
        let recent = dataset.weeks_of(0)[100..].iter().sum::<f64>() / 4.0;
        assert!(
            (expected - recent).abs() / recent < 0.1,
            "{expected} vs {recent}"
        );
        // The steady shopper's own last year says: no January dip.
        let (steady, _) = season.expected(1, &dataset.weeks_of(1), &config()).unwrap();
        assert!((steady - 80.0).abs() < 10.0, "{steady}");
    }

    #[test]
    fn each_segment_follows_its_own_season_shrunk_by_its_size() {
        // 104 weeks: ten big spenders who double every December, ten small steady ones.
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let week_starts: Vec<_> = (0..104u64)
            .map(|w| start + chrono::Days::new(7 * w))
            .collect();
        let december = |w: usize| week_starts[w].month() == 12;
        let mut rows = Vec::new();
        for i in 0..10 {
            let peaked = (0..104)
                .map(|w| if december(w) { 400.0 } else { 200.0 })
                .collect();
            rows.push((format!("big{i}"), peaked));
            rows.push((format!("small{i}"), vec![10.0; 104]));
        }
        let dataset = Dataset::from_rows(week_starts.clone(), rows);
        let (big, small) = (0, 1);
        let a_december_week = (0..104).find(|w| december(*w)).unwrap();
        let mut config = config();
        config.windows.season_shrink_customers = 0.0;
        let own = Season::of(&dataset, &config);
        let overall_peak = own.multipliers[a_december_week];
        assert!(
            (own.profile_of(small).0[a_december_week] - 1.0).abs() < 1e-9,
            "the steady segment has no season of its own"
        );
        assert!(own.profile_of(big).0[a_december_week] > overall_peak);
        assert!(overall_peak > 1.0);
        config.windows.season_shrink_customers = 1e9;
        let shrunk = Season::of(&dataset, &config);
        assert!(
            (shrunk.profile_of(small).0[a_december_week] - overall_peak).abs() < 1e-6,
            "tiny segments take the overall profile"
        );
        config.windows.season_by = "none".into();
        let overall = Season::of(&dataset, &config);
        assert!(overall.segments.codes.is_empty());
        assert_eq!(overall.profile_of(small).0, overall.multipliers.as_slice());
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
