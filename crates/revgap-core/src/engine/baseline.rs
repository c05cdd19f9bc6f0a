//! Per-customer spend facts: baseline and recent windows, trend, and the one zero-streak /
//! recency definition every later rule uses.
//!
//! A customer's history starts at their first purchase, not at the file's first week: on a
//! transaction log most customers arrive later, and the file's first weeks would give them a $0
//! baseline. A customer whose history is shorter than the two windows together is *new*: the
//! profile says so and no rule judges them.

use crate::config::Config;
use serde::Serialize;

/// Direction of the recent average against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Growing,
    Stable,
    Declining,
    NoData,
}

impl Trend {
    /// The name reports use (serde's).
    pub fn key(self) -> &'static str {
        match self {
            Trend::Growing => "growing",
            Trend::Stable => "stable",
            Trend::Declining => "declining",
            Trend::NoData => "no_data",
        }
    }
}

/// What the weekly spend of one customer says, unrounded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpendProfile {
    pub total_revenue: f64,
    pub average_weekly_spend: f64,
    /// Mean of the first `baseline_weeks` weeks.
    pub baseline_avg: f64,
    /// Mean of the last `recent_weeks` weeks.
    pub recent_avg: f64,
    /// Spend in the latest week.
    pub latest_week: f64,
    /// (recent − baseline) / baseline × 100, or 0 when the baseline is not positive.
    pub trend_pct: f64,
    pub trend: Trend,
    /// Exact-zero weeks within the recent window.
    pub recent_zero_weeks: usize,
    /// Recent weeks below `at_risk_spend_ratio` × baseline.
    pub recent_weeks_below_par: usize,
    /// Trailing run of zero weeks: weeks since the last purchase (all weeks if none).
    pub weeks_since_last_purchase: usize,
    /// Zero weeks anywhere in the history (an isolated zero shows here, not in recency).
    pub zero_weeks_total: usize,
    /// Weeks from the first purchase to the end of the data (0: no purchase at all).
    pub history_weeks: usize,
    /// Too little history for the baseline and recent windows: reported, not judged.
    pub is_new: bool,
    /// Expected spend in the latest week (the baseline, or the seasonal expectation for
    /// that week).
    pub expected_latest: f64,
}

impl SpendProfile {
    /// Computes the profile from a customer's weeks, oldest first; the history starts at the
    /// first week with spend.
    pub fn of(weeks: &[f64], config: &Config) -> Self {
        let first_purchase = weeks.iter().position(|v| *v > 0.0).unwrap_or(weeks.len());
        let weeks = &weeks[first_purchase..];
        let count = weeks.len();
        if count == 0 {
            return Self {
                total_revenue: 0.0,
                average_weekly_spend: 0.0,
                baseline_avg: 0.0,
                recent_avg: 0.0,
                latest_week: 0.0,
                trend_pct: 0.0,
                trend: Trend::NoData,
                recent_zero_weeks: 0,
                recent_weeks_below_par: 0,
                weeks_since_last_purchase: 0,
                zero_weeks_total: 0,
                history_weeks: 0,
                is_new: true,
                expected_latest: 0.0,
            };
        }
        let baseline_window = &weeks[..config.windows.baseline_weeks.min(count)];
        let recent_window = &weeks[count - config.windows.recent_weeks.min(count)..];
        let mean = |window: &[f64]| window.iter().sum::<f64>() / window.len() as f64;
        let total_revenue: f64 = weeks.iter().sum();
        let baseline_avg = mean(baseline_window);
        let recent_avg = mean(recent_window);
        let trend_pct = if baseline_avg > 0.0 {
            (recent_avg - baseline_avg) / baseline_avg * 100.0
        } else {
            0.0
        };
        let band = config.windows.trend_band_pct;
        let trend = if trend_pct > band {
            Trend::Growing
        } else if trend_pct < -band {
            Trend::Declining
        } else {
            Trend::Stable
        };
        let par = config.gaps.at_risk_spend_ratio * baseline_avg;
        Self {
            total_revenue,
            average_weekly_spend: total_revenue / count as f64,
            baseline_avg,
            recent_avg,
            latest_week: weeks[count - 1],
            trend_pct,
            trend,
            recent_zero_weeks: recent_window.iter().filter(|v| **v == 0.0).count(),
            recent_weeks_below_par: recent_window.iter().filter(|v| **v < par).count(),
            weeks_since_last_purchase: weeks.iter().rev().take_while(|v| **v == 0.0).count(),
            zero_weeks_total: weeks.iter().filter(|v| **v == 0.0).count(),
            history_weeks: count,
            is_new: count < config.windows.history_weeks_needed(),
            expected_latest: baseline_avg,
        }
    }

    /// The profile against the analysis's baseline: the original's, or (trailing, seasonal)
    /// the expected spend `season` gives for the recent weeks, with the trend, weeks below
    /// par and newness measured against it.
    pub fn with_season(
        customer: usize,
        weeks: &[f64],
        config: &Config,
        season: &super::season::Season,
    ) -> Self {
        let mut profile = Self::of(weeks, config);
        if profile.history_weeks == 0 {
            return profile;
        }
        let n = weeks.len();
        let recent_weeks = config.windows.recent_weeks.min(n);
        let (expected, reference) = if season.kind() == super::season::BaselineKind::Original {
            if season.calendar.is_empty() {
                return profile;
            }
            // The original's baseline window: the first weeks of the customer's history.
            let first = n - profile.history_weeks;
            let end = (first + config.windows.baseline_weeks).min(n);
            ((profile.baseline_avg, profile.baseline_avg), first..end)
        } else {
            let Some(expected) = season.expected(customer, weeks, config) else {
                profile.is_new = true;
                return profile;
            };
            profile.is_new = false;
            let level = config.windows.level_weeks;
            let start = n.saturating_sub(recent_weeks + level);
            (expected, start..n - recent_weeks)
        };
        let (expected, expected_latest) = season.with_calendar(expected, reference, recent_weeks);
        profile.baseline_avg = expected;
        profile.expected_latest = expected_latest;
        profile.trend_pct = if expected > 0.0 {
            (profile.recent_avg - expected) / expected * 100.0
        } else {
            0.0
        };
        let band = config.windows.trend_band_pct;
        profile.trend = if profile.trend_pct > band {
            Trend::Growing
        } else if profile.trend_pct < -band {
            Trend::Declining
        } else {
            Trend::Stable
        };
        let par = config.gaps.at_risk_spend_ratio * expected;
        let recent = &weeks[weeks.len() - config.windows.recent_weeks.min(weeks.len())..];
        profile.recent_weeks_below_par = recent.iter().filter(|v| **v < par).count();
        profile
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_keys_are_serdes_names() {
        for trend in [
            Trend::Growing,
            Trend::Stable,
            Trend::Declining,
            Trend::NoData,
        ] {
            assert_eq!(
                serde_json::to_string(&trend).ok(),
                Some(format!("\"{}\"", trend.key()))
            );
        }
    }

    /// Customer 1 of the original data (spec 4.4).
    pub const CUSTOMER_ONE: [f64; 12] = [
        50.12, 41.95, 45.98, 37.91, 44.31, 36.92, 35.58, 31.67, 55.40, 43.31, 0.0, 0.0,
    ];

    #[test]
    fn customer_one_golden_numbers() {
        let profile = SpendProfile::of(&CUSTOMER_ONE, &Config::default());
        assert_eq!(format!("{:.2}", profile.total_revenue), "423.15");
        assert_eq!(format!("{:.2}", profile.average_weekly_spend), "35.26");
        assert_eq!(format!("{:.2}", profile.baseline_avg), "43.99");
        assert_eq!(format!("{:.2}", profile.recent_avg), "24.68");
        assert_eq!(format!("{:.1}", profile.trend_pct), "-43.9");
        assert_eq!(profile.trend, Trend::Declining);
        assert_eq!(profile.recent_zero_weeks, 2);
        assert_eq!(profile.weeks_since_last_purchase, 2);
    }

    #[test]
    fn recent_window_is_its_own_setting() {
        let mut config = Config::default();
        config.windows.recent_weeks = 2;
        let profile = SpendProfile::of(&CUSTOMER_ONE, &config);
        assert_eq!(profile.recent_avg, 0.0);
        assert_eq!(format!("{:.2}", profile.baseline_avg), "43.99");
    }

    #[test]
    fn isolated_zero_counts_in_history_not_recency() {
        let mut weeks = [50.0; 12];
        weeks[5] = 0.0;
        let profile = SpendProfile::of(&weeks, &Config::default());
        assert_eq!(profile.weeks_since_last_purchase, 0);
        assert_eq!(profile.zero_weeks_total, 1);
    }

    #[test]
    fn shorter_history_than_windows_is_new() {
        let profile = SpendProfile::of(&[10.0, 20.0], &Config::default());
        assert!(profile.is_new);
        assert_eq!(profile.history_weeks, 2);
    }

    #[test]
    fn history_starts_at_the_first_purchase() {
        // Bought first in week 5 of 14: the baseline is weeks 5–8, not the file's $0 weeks.
        let mut weeks = [0.0; 14];
        for week in weeks.iter_mut().skip(4) {
            *week = 40.0;
        }
        let profile = SpendProfile::of(&weeks, &Config::default());
        assert_eq!(profile.baseline_avg, 40.0);
        assert_eq!(profile.history_weeks, 10);
        assert!(!profile.is_new);
        assert_eq!(profile.trend, Trend::Stable);
    }
}
