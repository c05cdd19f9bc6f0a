//! Recalibrating churn probabilities on a second temporal split.
//!
//! The product's P(no purchase in the horizon) comes from models fitted inside the data's own
//! period; whether it is calibrated can be checked inside that period too: cut the data one
//! horizon before its end, make the same probabilities at the cut with the same method (fitted
//! on the weeks before the cut only), and compare them with what the customers did in the
//! horizon that followed. When the decile calibration error there is above
//! `model.recalibrate_above`, a Platt map (a logistic regression of the outcome on the
//! logit of the probability) is learned on that split and applied to every probability the
//! analysis shows, but only when the miscalibration persists: a map learned the same way one
//! horizon earlier must lower the error at the later split (out of time, as the map will be
//! used). Nothing after the data's end is used, so a backtest of the result is honest.
//!
//! Owns the check and the map; uses `model` only.

use super::churn::Logistic;
use super::summary::{CustomerSummary, Purchases};
use serde::Serialize;

/// Probabilities are kept this far from 0 and 1 before taking the logit.
const EDGE: f64 = 1e-6;

/// Customers who stop and who buy the split needs at the least to learn a map.
const MIN_EACH: usize = 10;

/// The splits are judged on about this many customers (every k-th): a decile table of 40,000
/// is precise to about half a point, and the check then costs a fraction of the main fit.
pub const CHECK_CUSTOMERS: usize = 40_000;

fn logit(p: f64) -> f64 {
    let p = p.clamp(EDGE, 1.0 - EDGE);
    (p / (1.0 - p)).ln()
}

/// A learned map of probabilities: P(outcome | logit p) = σ(a + b · logit p).
#[derive(Debug, Clone, PartialEq)]
pub struct Platt {
    logistic: Logistic,
}

impl Platt {
    /// Fits the map on predictions and what happened; `None` without both outcomes.
    pub fn fit(probabilities: &[f64], outcomes: &[bool]) -> Option<Self> {
        let rows: Vec<Vec<f64>> = probabilities.iter().map(|p| vec![logit(*p)]).collect();
        Logistic::fit(&rows, outcomes).map(|logistic| Self { logistic })
    }

    pub fn apply(&self, probability: f64) -> f64 {
        if !probability.is_finite() {
            return probability;
        }
        self.logistic.probability(&[logit(probability)])
    }
}

/// What the check on the second split found (reported by `backtest`, `fit` and in
/// `summary.churn_model_note` when the map is applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The split: the cut (one horizon before the data's end), as a date.
    pub split: String,
    /// Customers with a purchase before the cut.
    pub customers: usize,
    /// Decile calibration error of the method's probabilities at the cut.
    pub error_before: f64,
    /// The same after the map learned one horizon earlier (out of time); equal to
    /// `error_before` when no map was needed.
    pub error_after: f64,
    /// Whether the map is applied to the analysis' probabilities.
    pub applied: bool,
}

/// The outcome of recalibration for one analysis.
#[derive(Debug, Clone, PartialEq)]
pub enum Recalibration {
    /// The split was checked; the map when it is applied.
    Checked { check: Check, map: Option<Platt> },
    /// The split cannot be made (too little history, or the method cannot be fitted at the
    /// cut): the reason.
    Impossible(String),
}

impl Recalibration {
    /// The map in use, if any.
    pub fn map(&self) -> Option<&Platt> {
        match self {
            Self::Checked { map, .. } => map.as_ref(),
            Self::Impossible(_) => None,
        }
    }

    /// One line for people.
    pub fn describe(&self, threshold: f64) -> String {
        match self {
            Self::Checked { check, .. } if check.applied => format!(
                "recalibrated (Platt) on the split at {}: calibration error {:.3}, {:.3} with a map learned one horizon earlier ({} customers)",
                check.split, check.error_before, check.error_after, check.customers
            ),
            Self::Checked { check, .. } if check.error_before <= threshold => format!(
                "not recalibrated: calibration error {:.3} on the split at {} ({} customers) is within {threshold}",
                check.error_before, check.split, check.customers
            ),
            Self::Checked { check, .. } => format!(
                "not recalibrated: calibration error {:.3} on the split at {}, but a map learned one horizon earlier gives {:.3} there (the miscalibration does not persist)",
                check.error_before, check.split, check.error_after
            ),
            Self::Impossible(reason) => format!("not recalibrated: {reason}"),
        }
    }
}

/// The method's probabilities at a split and what followed (customers with a purchase before
/// it), or why the split cannot be made.
struct Split {
    cut: i32,
    probabilities: Vec<f64>,
    outcomes: Vec<bool>,
}

impl Split {
    fn at(
        purchases: &Purchases<'_>,
        cut: i32,
        horizon_weeks: f64,
        predict_at: &impl Fn(i32, &[Option<CustomerSummary>]) -> Option<Vec<Option<f64>>>,
    ) -> Result<Self, String> {
        let end = cut + (horizon_weeks * 7.0).round() as i32;
        let summaries = purchases.summaries(cut, end);
        let first_day = summaries
            .iter()
            .flatten()
            .map(|s| cut - (s.t * 7.0).round() as i32)
            .min();
        // The method at the cut needs history of its own: at least a horizon before the cut.
        let history_weeks = first_day.map_or(0.0, |first| f64::from(cut - first) / 7.0);
        if history_weeks < horizon_weeks {
            return Err(format!(
                "a split at {} needs {horizon_weeks} weeks of purchases before it; the data have {:.1}",
                crate::data::date_of(cut),
                history_weeks.max(0.0)
            ));
        }
        let predicted = predict_at(cut, &summaries).ok_or_else(|| {
            format!(
                "the churn method cannot be fitted on the data before {}",
                crate::data::date_of(cut)
            )
        })?;
        let (probabilities, outcomes): (Vec<f64>, Vec<bool>) = summaries
            .iter()
            .zip(&predicted)
            .filter_map(|(summary, p)| Some((p.filter(|p| p.is_finite())?, summary.as_ref()?)))
            .map(|(p, s)| (p, s.holdout_purchases == 0))
            .unzip();
        let stopped = outcomes.iter().filter(|o| **o).count();
        if stopped < MIN_EACH || outcomes.len() - stopped < MIN_EACH {
            return Err(format!(
                "the split at {} has {stopped} customers who stop and {} who buy; it needs {MIN_EACH} of each",
                crate::data::date_of(cut),
                outcomes.len() - stopped
            ));
        }
        Ok(Self {
            cut,
            probabilities,
            outcomes,
        })
    }

    fn error(&self, map: Option<&Platt>) -> f64 {
        let mapped: Vec<f64> = match map {
            Some(map) => self.probabilities.iter().map(|p| map.apply(*p)).collect(),
            None => self.probabilities.clone(),
        };
        super::calibration::reliability(&mapped, &self.outcomes).1
    }
}

/// The recalibration as the backtest reports it (JSON `recalibration`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecalibrationReport {
    /// `platt` when the map is applied, else `none`.
    pub method: &'static str,
    /// The check on the split, when it could be made.
    #[serde(flatten)]
    pub check: Option<Check>,
    /// Why the split could not be made.
    pub impossible: Option<String>,
    /// The same in words.
    pub note: String,
}

impl RecalibrationReport {
    pub fn of(recalibration: &Recalibration, threshold: f64) -> Self {
        let (check, impossible) = match recalibration {
            Recalibration::Checked { check, .. } => (Some(check.clone()), None),
            Recalibration::Impossible(reason) => (None, Some(reason.clone())),
        };
        Self {
            method: if recalibration.map().is_some() {
                "platt"
            } else {
                "none"
            },
            check,
            impossible,
            note: recalibration.describe(threshold),
        }
    }
}

/// The customers the check reads: every k-th, about [`CHECK_CUSTOMERS`] of them.
pub fn check_sample(purchases: &Purchases<'_>) -> Purchases<'static> {
    purchases.every(purchases.customers().div_ceil(CHECK_CUSTOMERS))
}

/// Checks the method on the split one `horizon_weeks` before `end` (a day number); when its
/// calibration error there is above `threshold`, learns a map, but applies it only when a map
/// learned the same way one horizon earlier would have lowered the error at this split: a
/// miscalibration that does not persist from one horizon to the next is not corrected (it
/// would make the probabilities worse). `predict_at(cut, summaries)` makes the method's
/// probabilities at `cut` from the weeks before it (`None` when it cannot).
pub fn recalibrate(
    purchases: &Purchases<'_>,
    end: i32,
    horizon_weeks: f64,
    threshold: f64,
    predict_at: impl Fn(i32, &[Option<CustomerSummary>]) -> Option<Vec<Option<f64>>>,
) -> Recalibration {
    let step = (horizon_weeks * 7.0).round() as i32;
    let split = match Split::at(purchases, end - step, horizon_weeks, &predict_at) {
        Ok(split) => split,
        Err(reason) => return Recalibration::Impossible(reason),
    };
    let error_before = split.error(None);
    let check = |error_after: f64, map: Option<Platt>| Recalibration::Checked {
        check: Check {
            split: crate::data::date_of(split.cut).to_string(),
            customers: split.probabilities.len(),
            error_before,
            error_after,
            applied: map.is_some(),
        },
        map,
    };
    if error_before <= threshold {
        return check(error_before, None);
    }
    // Out of time: the map of the split before, judged on this one.
    let earlier = match Split::at(purchases, end - 2 * step, horizon_weeks, &predict_at) {
        Ok(earlier) => earlier,
        Err(reason) => {
            return Recalibration::Impossible(format!(
                "calibration error {error_before:.3} at the split one horizon before the end, but a map cannot be validated out of time: {reason}"
            ));
        }
    };
    let Some(earlier_map) = Platt::fit(&earlier.probabilities, &earlier.outcomes) else {
        return check(f64::INFINITY, None);
    };
    let error_after = split.error(Some(&earlier_map));
    // The earlier map must calibrate the later split, not merely move it.
    let persists = error_after <= threshold && error_after < error_before;
    let map = persists
        .then(|| Platt::fit(&split.probabilities, &split.outcomes))
        .flatten();
    check(error_after, map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Outcomes drawn from known probabilities, shown to the map through a distortion.
    fn draws(seed: u64, n: usize, distort: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<bool>, Vec<f64>) {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
        let truth: Vec<f64> = (0..n).map(|_| rng.random_range(0.02..0.98)).collect();
        let outcomes = truth.iter().map(|p| rng.random_bool(*p)).collect();
        let shown = truth.iter().map(|p| distort(*p)).collect();
        (shown, outcomes, truth)
    }

    #[test]
    fn a_learned_map_restores_calibration_on_fresh_customers_for_every_seed() {
        // Overconfident, underconfident and shifted probabilities: each a logit-linear
        // distortion, which a Platt map can undo.
        let distortions: [fn(f64) -> f64; 3] = [
            |p| 1.0 / (1.0 + (-2.0 * logit(p)).exp()),
            |p| 1.0 / (1.0 + (-0.5 * logit(p)).exp()),
            |p| 1.0 / (1.0 + (-(logit(p) - 1.0)).exp()),
        ];
        for (which, distort) in distortions.iter().enumerate() {
            for seed in 0..8 {
                let (shown, outcomes, _) = draws(seed, 4_000, distort);
                let (_, before) = super::super::calibration::reliability(&shown, &outcomes);
                assert!(before > 0.05, "distortion {which} seed {seed}: {before}");
                let map = Platt::fit(&shown, &outcomes).unwrap();
                let (fresh, fresh_outcomes, _) = draws(seed + 100, 4_000, distort);
                let mapped: Vec<f64> = fresh.iter().map(|p| map.apply(*p)).collect();
                let (_, after) = super::super::calibration::reliability(&mapped, &fresh_outcomes);
                assert!(
                    after < 0.03,
                    "distortion {which} seed {seed}: {before} → {after}"
                );
            }
        }
    }

    #[test]
    fn calibrated_probabilities_are_left_alone_and_a_short_history_says_why() {
        let (shown, outcomes, _) = draws(3, 4_000, |p| p);
        let (_, error) = super::super::calibration::reliability(&shown, &outcomes);
        assert!(error < 0.03, "{error}");
        let check = Recalibration::Checked {
            check: Check {
                split: "2026-01-01".into(),
                customers: 4_000,
                error_before: error,
                error_after: error,
                applied: false,
            },
            map: None,
        };
        assert!(
            check
                .describe(0.05)
                .starts_with("not recalibrated: calibration error")
        );
        assert!(check.map().is_none());
    }

    /// Weekly shoppers in two groups (spend 10 or 100 a week) who stop for good with a
    /// weekly hazard of 0.5 % or 3 %: at any cut, P(no purchase in the next weeks) is 1 for
    /// those already stopped (no purchase in the last week) and the hazard for the others.
    fn shoppers(seed: u64) -> crate::data::Dataset {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
        let weeks = 80;
        let first = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let week_starts = (0..weeks)
            .map(|w| first + chrono::Days::new(7 * w as u64))
            .collect();
        let rows = (0..3_000)
            .map(|c| {
                let (spend, hazard) = if c % 2 == 0 {
                    (10.0, 0.01)
                } else {
                    (100.0, 0.06)
                };
                let mut alive = true;
                let row = (0..weeks)
                    .map(|w| {
                        alive &= w == 0 || !rng.random_bool(hazard);
                        if alive { spend } else { 0.0 }
                    })
                    .collect();
                (format!("C{c}"), row)
            })
            .collect();
        crate::data::Dataset::from_rows(week_starts, rows)
    }

    fn truth(s: &CustomerSummary) -> f64 {
        let hazard: f64 = if s.mean_repeat_spend > 50.0 {
            0.06
        } else {
            0.01
        };
        // Stopped customers never buy again; a method says "almost surely" (a map cannot
        // make a logit of certainty finite, and no fitted model outputs it).
        if s.t - s.t_x > 1.5 {
            0.999
        } else {
            // Buying every week while active: no purchase in the horizon only by stopping
            // before the next week.
            hazard
        }
    }

    #[test]
    fn a_persistent_miscalibration_is_corrected_and_a_calibrated_method_left_alone() {
        let horizon = 8.0;
        for seed in 0..4 {
            let dataset = shoppers(seed);
            let purchases = Purchases::of(&dataset);
            let end = crate::data::day_number(dataset.as_of.unwrap());
            let method = |distort: fn(f64) -> f64| {
                move |_cut: i32, summaries: &[Option<CustomerSummary>]| {
                    Some(
                        summaries
                            .iter()
                            .map(|s| s.as_ref().map(|s| distort(truth(s))))
                            .collect::<Vec<_>>(),
                    )
                }
            };
            // The truth: nothing to correct.
            let honest = recalibrate(&purchases, end, horizon, 0.05, method(|p| p));
            assert!(honest.map().is_none(), "seed {seed}: {honest:?}");
            // Odds of stopping e^3.5 times too high, at every split alike: a map is learned, validated out
            // of time, and brings the actives' probability back to the truth.
            let shy = recalibrate(
                &purchases,
                end,
                horizon,
                0.05,
                method(|p| 1.0 / (1.0 + (-3.5 - logit(p)).exp())),
            );
            let Recalibration::Checked {
                check,
                map: Some(map),
            } = &shy
            else {
                panic!("seed {seed}: {shy:?}");
            };
            assert!(
                check.error_before > 0.05 && check.error_after <= 0.05,
                "{check:?}"
            );
            for truth in [0.005f64, 0.03] {
                let shown = 1.0 / (1.0 + (-3.5 - logit(truth)).exp());
                let mapped = map.apply(shown);
                assert!(
                    (mapped - truth).abs() < 0.03,
                    "seed {seed}: {truth} → {shown} → {mapped}"
                );
            }
            assert!(shy.describe(0.05).starts_with("recalibrated (Platt)"));
        }
    }

    #[test]
    fn too_little_history_is_said_not_guessed() {
        let dataset = shoppers(9);
        let purchases = Purchases::of(&dataset);
        let end = crate::data::day_number(dataset.as_of.unwrap());
        let result = recalibrate(&purchases, end, 60.0, 0.05, |_, _| None);
        let Recalibration::Impossible(reason) = &result else {
            panic!("{result:?}");
        };
        assert!(
            reason.contains("needs 60 weeks of purchases before it"),
            "{reason}"
        );
        let result = recalibrate(&purchases, end, 8.0, 0.05, |_, _| None);
        assert!(
            result
                .describe(0.05)
                .contains("the churn method cannot be fitted on the data before"),
            "{result:?}"
        );
    }
}
