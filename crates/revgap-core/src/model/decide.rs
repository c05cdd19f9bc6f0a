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

use super::churn::{self, Logistic};
use super::predict::Models;
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
}

impl LearnedChurn {
    /// P(no purchase in the horizon) of a customer; none without a purchase in the data.
    pub fn probability(&self, customer: usize) -> Option<f64> {
        let summary = self.summaries.get(customer)?.as_ref()?;
        Some(churn::at_horizon(
            self.logistic.probability_of(summary),
            self.logistic.label_weeks,
            self.horizon_weeks,
        ))
    }
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
}

impl Decision {
    fn rules(note: Option<String>) -> Self {
        Self {
            method: ChurnMethod::Rules,
            note,
            models: None,
            learned: None,
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

/// Decides the churn probability of an analysis of `dataset` (see the module comment).
pub fn decide(dataset: &Dataset, config: &Config) -> Decision {
    let horizon = config.model.horizon_weeks;
    match config.model.churn_model {
        ChurnModel::Rules => return Decision::rules(None),
        ChurnModel::Logistic => {
            return match learn_without_bgnbd(dataset, horizon) {
                Some(learned) => Decision {
                    method: ChurnMethod::Logistic,
                    note: None,
                    models: None,
                    learned: Some(Arc::new(learned)),
                },
                None => Decision::rules(Some(
                    "the data have too few customers who stop and who buy to train a churn model: the original's rules".into(),
                )),
            };
        }
        ChurnModel::Bgnbd => {}
    }
    let unusable = match super::predict::fit(dataset, horizon) {
        Ok(models) => {
            let method = if models.logistic.is_some() {
                ChurnMethod::BgnbdLogistic
            } else {
                ChurnMethod::Bgnbd
            };
            return Decision {
                method,
                note: super::bgnbd::without_intervals(&models.bgnbd),
                models: Some(Arc::new(models)),
                learned: None,
            };
        }
        Err(error) => error,
    };
    match learn_without_bgnbd(dataset, horizon) {
        Some(learned) => Decision {
            method: ChurnMethod::Logistic,
            note: Some(format!(
                "BG/NBD cannot be used ({unusable}): a churn model trained on the data's own period from recency, frequency, customer age and spend"
            )),
            models: None,
            learned: Some(Arc::new(learned)),
        },
        None => Decision::rules(Some(format!(
            "BG/NBD cannot be used ({unusable}) and the data have too few customers who stop and who buy to train a churn model: the original's rules"
        ))),
    }
}

/// The churn model from recency, frequency, age and spend, trained on the temporal split of
/// the data's own period; `None` when the split has too few customers to learn from.
pub fn learn_without_bgnbd(dataset: &Dataset, horizon_weeks: f64) -> Option<LearnedChurn> {
    let end = dataset.as_of.map(crate::data::day_number)?;
    let purchases = summary::Purchases::of(dataset);
    let summaries = purchases.summaries(end, end);
    let logistic = churn::train(
        &purchases,
        &summaries,
        end,
        horizon_weeks,
        churn::Features::Plain,
    )?;
    Some(LearnedChurn {
        logistic,
        summaries,
        horizon_weeks,
    })
}
