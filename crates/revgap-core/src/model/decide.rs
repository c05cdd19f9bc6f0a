//! Which churn probability an analysis uses: one decision for `analyze`, `fit`, `backtest` and
//! the explorer, so a backtest's figures describe what the reports show.
//!
//! In order: the original's rules when asked for (`churn_model = "rules"`); BG/NBD (with the
//! churn model learned inside the data's own period when it can be trained) when BG/NBD
//! describes the data, its point estimates without intervals when its standard errors cannot
//! be estimated; when BG/NBD cannot describe the data, a churn model learned from recency,
//! frequency, customer age and spend alone; and the rules only when there are too few
//! customers to learn from. `note` says why whenever the result is not the plain first choice.
//!
//! Owns the decision and the BG/NBD-free churn model; uses `model` and `data` only.

use super::bgnbd;
use super::churn::{self, Logistic};
use super::predict::Models;
use super::recalibrate::{Platt, Recalibration, recalibrate};
use super::summary::{self, CustomerSummary};
use crate::config::{ChurnModel, Config};
use crate::data::Dataset;
use std::sync::Arc;

/// The churn probability in use, as reports name it (`summary.churn_model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ChurnMethod {
    Bgnbd,
    BgnbdLogistic,
    Logistic,
    Rules,
}

impl ChurnMethod {
    /// The documented name: `bgnbd`, `bgnbd+logistic`, `logistic` or `rules`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Bgnbd => "bgnbd",
            Self::BgnbdLogistic => "bgnbd+logistic",
            Self::Logistic => "logistic",
            Self::Rules => "rules",
        }
    }

    /// For people: what the probability is.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bgnbd => "BG/NBD",
            Self::BgnbdLogistic => "BG/NBD with a learned churn model",
            Self::Logistic => "a learned churn model (recency, frequency, age, spend)",
            Self::Rules => "the original's rules",
        }
    }
}

/// A churn model learned without BG/NBD, with the summaries it reads.
#[derive(Debug, Clone)]
pub struct LearnedChurn {
    pub logistic: Logistic,
    pub summaries: Vec<Option<CustomerSummary>>,
    pub horizon_weeks: f64,
    /// The map learned on the second split, when needed (see `recalibrate`).
    pub recalibration: Option<Platt>,
}

impl LearnedChurn {
    /// P(no purchase in the horizon) of a customer; none without a purchase in the data.
    pub fn probability(&self, customer: usize) -> Option<f64> {
        let summary = self.summaries.get(customer)?.as_ref()?;
        let p = plain_probability(&self.logistic, summary, self.horizon_weeks);
        Some(self.recalibration.as_ref().map_or(p, |map| map.apply(p)))
    }
}

/// The BG/NBD-free model's P(no purchase in `horizon` weeks), before any recalibration.
fn plain_probability(logistic: &Logistic, summary: &CustomerSummary, horizon: f64) -> f64 {
    churn::at_horizon(
        logistic.probability_of(summary),
        logistic.label_weeks,
        horizon,
    )
}

/// The decision and what it decided with.
#[derive(Debug, Clone)]
pub struct Decision {
    pub method: ChurnMethod,
    /// Why the method is not the plain first choice, when it is not (a fallback, intervals
    /// unavailable).
    pub note: Option<String>,
    pub models: Option<Arc<Models>>,
    pub learned: Option<Arc<LearnedChurn>>,
    /// The check on the second split and its map (none under the rules).
    pub recalibration: Option<Recalibration>,
}

impl Decision {
    fn rules(note: Option<String>) -> Self {
        Self {
            method: ChurnMethod::Rules,
            note,
            models: None,
            learned: None,
            recalibration: None,
        }
    }

    /// The model's churn probability of a customer; `None` under the rules (the rules' band
    /// then serves) or for a customer without a purchase.
    pub fn churn_probability(&self, customer: usize) -> Option<f64> {
        match (&self.models, &self.learned) {
            (Some(models), _) => models.churn_probability(customer),
            (None, Some(learned)) => learned.probability(customer),
            (None, None) => None,
        }
    }
}

/// Decides the churn probability of an analysis of `dataset` (see the module comment), and
/// recalibrates it when the second split shows it needs it (see `recalibrate`).
pub fn decide(dataset: &Dataset, config: &Config) -> Decision {
    if config.model.churn_model == ChurnModel::Rules {
        return Decision::rules(None);
    }
    let Some(end) = dataset.as_of.map(crate::data::day_number) else {
        return Decision::rules(Some(
            "the data have no dates to fit a churn model on: the original's rules".into(),
        ));
    };
    let purchases = summary::Purchases::of(dataset);
    let started = std::time::Instant::now();
    let checked = super::recalibrate::check_sample(&purchases);
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "check sample");
    let horizon = config.model.horizon_weeks;
    let threshold = config.model.recalibrate_above;
    let learned_decision =
        |note: Option<String>, fallback: String| match learned_on(&purchases, end, horizon) {
            Some(mut learned) => {
                let recalibration =
                    recalibrate(&checked, end, horizon, threshold, |cut, summaries| {
                        let at_cut = churn::train(
                            &checked,
                            summaries,
                            cut,
                            horizon,
                            churn::Features::Plain,
                        )?;
                        Some(probabilities(summaries, |s| {
                            plain_probability(&at_cut, s, horizon)
                        }))
                    });
                learned.recalibration = recalibration.map().cloned();
                Decision {
                    method: ChurnMethod::Logistic,
                    note: with_recalibration(note, &recalibration, threshold),
                    models: None,
                    learned: Some(Arc::new(learned)),
                    recalibration: Some(recalibration),
                }
            }
            None => Decision::rules(Some(fallback)),
        };
    if config.model.churn_model == ChurnModel::Logistic {
        return learned_decision(
            None,
            "the data have too few customers who stop and who buy to train a churn model: the original's rules".into(),
        );
    }
    let unusable = match super::predict::fit_purchases(&purchases, end, horizon) {
        Ok(mut models) => {
            let method = if models.logistic.is_some() {
                ChurnMethod::BgnbdLogistic
            } else {
                ChurnMethod::Bgnbd
            };
            let recalibration = recalibrate(&checked, end, horizon, threshold, |cut, summaries| {
                // The same method at the cut: BG/NBD fitted on a sample of the summaries there,
                // started near the whole period's optimum, and the learned model if it has one.
                let rows = summary::compress(
                    summaries
                        .iter()
                        .flatten()
                        .map(|s| (f64::from(s.x), s.t_x, s.t)),
                );
                let params =
                    bgnbd::maximum(&bgnbd::sample(&rows), Some(models.bgnbd.params)).ok()?;
                let logistic = match &models.logistic {
                    Some(_) => Some(churn::train(
                        &checked,
                        summaries,
                        cut,
                        horizon,
                        churn::Features::WithBgnbd(params),
                    )?),
                    None => None,
                };
                Some(probabilities(summaries, |s| {
                    super::predict::churn_probability_of(&params, logistic.as_ref(), s, horizon)
                }))
            });
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "fitted and checked"
            );
            models.recalibration = recalibration.map().cloned();
            return Decision {
                method,
                note: with_recalibration(
                    bgnbd::without_intervals(&models.bgnbd),
                    &recalibration,
                    threshold,
                ),
                models: Some(Arc::new(models)),
                learned: None,
                recalibration: Some(recalibration),
            };
        }
        Err(error) => error,
    };
    learned_decision(
        Some(format!(
            "BG/NBD cannot be used ({unusable}): a churn model trained on the data's own period from recency, frequency, customer age and spend"
        )),
        format!(
            "BG/NBD cannot be used ({unusable}) and the data have too few customers who stop and who buy to train a churn model: the original's rules"
        ),
    )
}

/// Each customer's probability from their summary at a cut.
fn probabilities(
    summaries: &[Option<CustomerSummary>],
    of: impl Fn(&CustomerSummary) -> f64 + Sync,
) -> Vec<Option<f64>> {
    use rayon::prelude::*;
    summaries.par_iter().map(|s| s.as_ref().map(&of)).collect()
}

/// The decision's note, with the recalibration said when a map is applied.
fn with_recalibration(
    note: Option<String>,
    recalibration: &Recalibration,
    threshold: f64,
) -> Option<String> {
    if recalibration.map().is_none() {
        return note;
    }
    let said = recalibration.describe(threshold);
    Some(match note {
        Some(note) => format!("{note}; {said}"),
        None => said,
    })
}

/// The churn model from recency, frequency, age and spend, trained on the temporal split of
/// the data's own period; `None` when the split has too few customers to learn from.
pub fn learn_without_bgnbd(dataset: &Dataset, horizon_weeks: f64) -> Option<LearnedChurn> {
    let end = dataset.as_of.map(crate::data::day_number)?;
    learned_on(&summary::Purchases::of(dataset), end, horizon_weeks)
}

fn learned_on(
    purchases: &summary::Purchases<'_>,
    end: i32,
    horizon_weeks: f64,
) -> Option<LearnedChurn> {
    let summaries = purchases.summaries(end, end);
    let logistic = churn::train(
        purchases,
        &summaries,
        end,
        horizon_weeks,
        churn::Features::Plain,
    )?;
    Some(LearnedChurn {
        logistic,
        summaries,
        horizon_weeks,
        recalibration: None,
    })
}
