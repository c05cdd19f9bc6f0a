//! Customer segments: which kind of customer each one is, along several dimensions (value
//! tier, lifecycle stage, RFM segment, demographic bands, purchase-frequency band, and extra
//! customer columns named in the config). Labels come from the data (and the model's P(alive)
//! when it is fitted), never from the gap rules, so the engine can use them without a loop.
//! The rules and cut-offs live in `[segments]` of the configuration.

pub mod cohort;
mod rfm;
pub mod summary;

use crate::config::{Config, SegmentSettings};
use crate::data::Dataset;
use rayon::prelude::*;

pub use crate::config::Dimension;

impl Dimension {
    /// Parses a `--by` name: a built-in key, or an extra column of `dataset`.
    pub fn parse(name: &str, dataset: &Dataset) -> Result<Self, crate::config::UnknownDimension> {
        Self::parse_among(name, &dataset.extra_columns)
    }
}

/// One dimension's label for every customer: a small code per customer into `names`.
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    pub dimension: Dimension,
    pub names: Vec<String>,
    pub codes: Vec<u16>,
}

impl Labels {
    /// The label of customer `customer`.
    pub fn of(&self, customer: usize) -> &str {
        &self.names[self.codes[customer] as usize]
    }

    fn from_names<'a>(
        dimension: Dimension,
        per_customer: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        // Few distinct labels, a million customers: look up by borrowed text, allocate a
        // label only the first time it is seen.
        let mut names: Vec<String> = Vec::new();
        let mut index: rustc_hash::FxHashMap<&'a str, u16> = Default::default();
        let codes = per_customer
            .into_iter()
            .map(|name| {
                *index.entry(name).or_insert_with(|| {
                    names.push(name.to_string());
                    (names.len() - 1) as u16
                })
            })
            .collect();
        Self {
            dimension,
            names,
            codes,
        }
    }
}

/// Every customer's segments along the built-in dimensions and the configured extra ones.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Segmentation {
    pub dimensions: Vec<Labels>,
}

impl Segmentation {
    /// The labels of one dimension, when it was computed.
    pub fn get(&self, dimension: &Dimension) -> Option<&Labels> {
        self.dimensions.iter().find(|l| &l.dimension == dimension)
    }

    /// Reads customer `customer`'s code in every dimension (see `Dataset::warm`).
    pub fn warm(&self, customer: usize) -> u64 {
        self.dimensions
            .iter()
            .fold(0, |seen, labels| seen ^ u64::from(labels.codes[customer]))
    }

    /// Customer `customer`'s label in every dimension, in order.
    pub fn of(&self, customer: usize) -> impl Iterator<Item = (&str, &str)> {
        self.dimensions
            .iter()
            .map(move |labels| (labels.dimension.key(), labels.of(customer)))
    }
}

/// What segmentation needs to know about one customer, computed from their weeks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Activity {
    pub total_spend: f64,
    /// Weeks from the first purchase to the end (0: never bought).
    pub history_weeks: usize,
    /// Weeks with spend since the first purchase.
    pub purchase_weeks: usize,
    pub weeks_since_last_purchase: usize,
    /// Longest run of empty weeks between two purchases.
    pub longest_gap_weeks: usize,
}

impl Activity {
    pub fn of(weeks: &[f64]) -> Self {
        let Some(first) = weeks.iter().position(|v| *v > 0.0) else {
            return Self::default();
        };
        let history = &weeks[first..];
        let mut longest = 0;
        let mut run = 0;
        for value in history {
            if *value > 0.0 {
                longest = longest.max(run);
                run = 0;
            } else {
                run += 1;
            }
        }
        Self {
            total_spend: weeks.iter().sum(),
            history_weeks: history.len(),
            purchase_weeks: history.iter().filter(|v| **v > 0.0).count(),
            weeks_since_last_purchase: run,
            longest_gap_weeks: longest,
        }
    }
}

/// Computes the segmentation of every customer. `p_alive` holds the model's P(alive) per
/// customer when a model was fitted.
pub fn segment(
    dataset: &Dataset,
    config: &Config,
    p_alive: Option<&[Option<f64>]>,
    season: Option<&[f64]>,
) -> Segmentation {
    segment_only(dataset, config, p_alive, season, None)
}

/// One dimension's labels, computed alone (no model, no season: lifecycle falls back to the
/// rules, seasonality is unavailable). `None` when the data lack the dimension.
pub fn labels_of(dataset: &Dataset, config: &Config, dimension: &Dimension) -> Option<Labels> {
    segment_only(dataset, config, None, None, Some(dimension))
        .dimensions
        .pop()
}

fn segment_only(
    dataset: &Dataset,
    config: &Config,
    p_alive: Option<&[Option<f64>]>,
    season: Option<&[f64]>,
    wanted: Option<&Dimension>,
) -> Segmentation {
    let settings = &config.segments;
    let wants = |dimension: &Dimension| wanted.is_none_or(|w| w == dimension);
    let activity: Vec<Activity> = (0..dataset.customer_count())
        .into_par_iter()
        .map(|customer| Activity::of(&dataset.weeks_of(customer)))
        .collect();
    let needed = config.windows.history_weeks_needed();
    let at_risk_weeks = config.gaps.zero_spend_weeks;
    let profile = |customer: usize| dataset.profiles.get(customer).and_then(Option::as_ref);
    let customers = 0..dataset.customer_count();
    // Band labels are made once; customers pick theirs by index.
    let bands: Vec<String> = (0..=settings.age_band_starts.len() + 1)
        .map(|band| age_band_label(band, &settings.age_band_starts))
        .collect();
    // The dimensions are independent: built side by side on both cores.
    type Builder<'b> = (Dimension, Box<dyn Fn() -> Labels + Sync + 'b>);
    let builders: Vec<Builder<'_>> = vec![
        (
            Dimension::ValueTier,
            Box::new(|| value_tiers(&activity, settings)),
        ),
        (
            Dimension::Lifecycle,
            Box::new(|| {
                Labels::from_names(
                    Dimension::Lifecycle,
                    activity.iter().enumerate().map(|(customer, a)| {
                        let alive = p_alive.and_then(|p| p.get(customer).copied().flatten());
                        lifecycle(a, alive, needed, at_risk_weeks, settings)
                    }),
                )
            }),
        ),
        (
            Dimension::Rfm,
            Box::new(|| Labels::from_names(Dimension::Rfm, rfm::segments(&activity))),
        ),
        (
            Dimension::AgeBand,
            Box::new(|| {
                Labels::from_names(
                    Dimension::AgeBand,
                    customers.clone().map(|c| {
                        let age = profile(c).and_then(|p| p.age);
                        bands[age_band_index(age, &settings.age_band_starts)].as_str()
                    }),
                )
            }),
        ),
        (
            Dimension::Household,
            Box::new(|| {
                Labels::from_names(
                    Dimension::Household,
                    customers
                        .clone()
                        .map(|c| household(profile(c).and_then(|p| p.household_size))),
                )
            }),
        ),
        (
            Dimension::Loyalty,
            Box::new(|| {
                Labels::from_names(
                    Dimension::Loyalty,
                    customers
                        .clone()
                        .map(|c| match profile(c).and_then(|p| p.loyalty_member) {
                            Some(true) => "member",
                            Some(false) => "non-member",
                            None => "unknown",
                        }),
                )
            }),
        ),
        (
            Dimension::FrequencyBand,
            Box::new(|| {
                Labels::from_names(
                    Dimension::FrequencyBand,
                    activity.iter().map(|a| frequency_band(a, settings)),
                )
            }),
        ),
    ];
    let mut dimensions: Vec<Labels> = builders
        .par_iter()
        .filter(|(dimension, _)| wants(dimension))
        .map(|(_, build)| build())
        .collect();
    if let Some(multipliers) = season.filter(|m| m.len() == dataset.week_count())
        && wants(&Dimension::Seasonality)
    {
        dimensions.push(seasonality(
            dataset,
            multipliers,
            settings.seasonal_correlation,
        ));
    }
    let extras = settings
        .extra_dimensions
        .iter()
        .chain(match wanted {
            Some(Dimension::Extra(name)) if !settings.extra_dimensions.contains(name) => Some(name),
            _ => None,
        })
        .filter(|name| wants(&Dimension::Extra((*name).clone())));
    for name in extras {
        if let Some(labels) = extra_labels(dataset, name) {
            dimensions.push(labels);
        }
    }
    Segmentation { dimensions }
}

/// The label of a segment a streamed analysis could not compute.
pub const NOT_COMPUTED: &str = "not_computed";

impl Segmentation {
    /// These segments with the dimensions that rank each customer against everyone (RFM's
    /// quintiles; value tiers by quantile) labelled `not_computed`: what a part of a streamed
    /// panel can say. The others (lifecycle, bands, attributes) depend on the customer alone.
    pub fn without_population_wide(mut self, settings: &SegmentSettings) -> Self {
        for labels in &mut self.dimensions {
            let population_wide = match labels.dimension {
                Dimension::Rfm => true,
                Dimension::ValueTier => settings.value_tier_amounts.is_none(),
                _ => false,
            };
            if population_wide {
                labels.names = vec![NOT_COMPUTED.to_string()];
                labels.codes.iter_mut().for_each(|code| *code = 0);
            }
        }
        self
    }
}

/// For every customer, 1 + the index of the first segment rule their labels match (0: none).
pub fn matching_rules(
    segmentation: &Segmentation,
    rules: &[crate::config::SegmentRule],
) -> Vec<u16> {
    let customers = segmentation.dimensions.first().map_or(0, |l| l.codes.len());
    // Each rule as (labels of its dimension, code of its label); a rule naming a dimension or
    // label nobody has matches no one.
    let compiled: Vec<Option<(&Labels, u16)>> = rules
        .iter()
        .map(|rule| {
            let labels = segmentation
                .dimensions
                .iter()
                .find(|l| l.dimension.key() == rule.dimension)?;
            let code = labels.names.iter().position(|n| *n == rule.label)?;
            Some((labels, code as u16))
        })
        .collect();
    (0..customers)
        .into_par_iter()
        .map(|customer| {
            compiled
                .iter()
                .position(|rule| rule.is_some_and(|(labels, code)| labels.codes[customer] == code))
                .map_or(0, |i| i as u16 + 1)
        })
        .collect()
}

/// "seasonal shopper" when a customer's weekly spend moves with the population's seasonal
/// profile (correlation at least `threshold` over their history), else "steady".
fn seasonality(dataset: &Dataset, multipliers: &[f64], threshold: f64) -> Labels {
    let labels: Vec<&str> = (0..dataset.customer_count())
        .into_par_iter()
        .map(|customer| {
            let weeks = dataset.weeks_of(customer);
            let first = weeks.iter().position(|v| *v > 0.0).unwrap_or(weeks.len());
            let (spend, season) = (&weeks[first..], &multipliers[first..]);
            if correlation(spend, season).is_some_and(|r| r >= threshold) {
                "seasonal shopper"
            } else {
                "steady"
            }
        })
        .collect();
    Labels::from_names(Dimension::Seasonality, labels)
}

/// Pearson correlation; `None` for fewer than a year of weeks or no variation.
fn correlation(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 52 {
        return None;
    }
    let mean = |v: &[f64]| v[..n].iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// The labels of an extra customer column (`None` when the data has no such column).
pub fn extra_labels(dataset: &Dataset, name: &str) -> Option<Labels> {
    let column = dataset.extra_columns.iter().position(|c| c == name)?;
    let values: Vec<String> = (0..dataset.customer_count())
        .map(|customer| {
            dataset
                .profiles
                .get(customer)
                .and_then(Option::as_ref)
                .and_then(|p| p.extra.iter().nth(column).map(str::to_string))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "unknown".into())
        })
        .collect();
    Some(Labels::from_names(
        Dimension::Extra(name.to_string()),
        values.iter().map(String::as_str),
    ))
}

/// High, medium or low by total spend: quantile cut-offs by default, fixed amounts if set.
fn value_tiers(activity: &[Activity], settings: &SegmentSettings) -> Labels {
    let (low_cut, high_cut) = match settings.value_tier_amounts {
        Some([low, high]) => (low, high),
        None => {
            let mut spends: Vec<f64> = activity.iter().map(|a| a.total_spend).collect();
            spends.par_sort_unstable_by(f64::total_cmp);
            let at = |q: f64| {
                spends
                    .get(((spends.len() as f64 * q) as usize).min(spends.len().saturating_sub(1)))
                    .copied()
                    .unwrap_or(0.0)
            };
            let [low, high] = settings.value_tier_quantiles;
            (at(low), at(high))
        }
    };
    Labels::from_names(
        Dimension::ValueTier,
        activity.iter().map(|a| {
            if a.total_spend >= high_cut {
                "high"
            } else if a.total_spend >= low_cut {
                "medium"
            } else {
                "low"
            }
        }),
    )
}

/// New, active, at risk, lapsed or reactivated.
fn lifecycle(
    activity: &Activity,
    p_alive: Option<f64>,
    history_needed: usize,
    at_risk_weeks: usize,
    settings: &SegmentSettings,
) -> &'static str {
    if activity.history_weeks == 0 || activity.weeks_since_last_purchase >= settings.lapsed_weeks {
        "lapsed"
    } else if activity.history_weeks < history_needed {
        "new"
    } else if activity.weeks_since_last_purchase >= at_risk_weeks
        || p_alive.is_some_and(|p| p < settings.at_risk_p_alive)
    {
        "at risk"
    } else if activity.longest_gap_weeks >= settings.lapsed_weeks {
        "reactivated"
    } else {
        "active"
    }
}

/// The band index of an age: 0 unknown, 1 under the first start, then one per start.
fn age_band_index(age: Option<u32>, starts: &[u32]) -> usize {
    match age {
        None => 0,
        Some(age) => starts
            .iter()
            .rposition(|start| age >= *start)
            .map_or(1, |i| i + 2),
    }
}

/// Age band labels ("unknown", "under 25", "25-34", …, "65+") by band index.
fn age_band_label(band: usize, starts: &[u32]) -> String {
    match band {
        0 => "unknown".into(),
        1 => format!("under {}", starts.first().copied().unwrap_or(0)),
        i if i - 2 + 1 == starts.len() => format!("{}+", starts[i - 2]),
        i => format!("{}-{}", starts[i - 2], starts[i - 1] - 1),
    }
}

#[cfg(test)]
fn age_band(age: Option<u32>, starts: &[u32]) -> String {
    age_band_label(age_band_index(age, starts), starts)
}

fn household(size: Option<u32>) -> &'static str {
    match size {
        None => "unknown",
        Some(0 | 1) => "1",
        Some(2) => "2",
        Some(3 | 4) => "3-4",
        Some(_) => "5+",
    }
}

/// Share of weeks with a purchase since the first: weekly, regular, occasional or rare.
fn frequency_band(activity: &Activity, settings: &SegmentSettings) -> &'static str {
    if activity.history_weeks == 0 {
        return "rare";
    }
    let share = activity.purchase_weeks as f64 / activity.history_weeks as f64;
    let [weekly, regular, occasional] = settings.frequency_band_shares;
    if share >= weekly {
        "weekly"
    } else if share >= regular {
        "regular"
    } else if share >= occasional {
        "occasional"
    } else {
        "rare"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_counts_history_from_the_first_purchase() {
        let a = Activity::of(&[0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 4.0, 0.0]);
        assert_eq!(a.history_weeks, 6);
        assert_eq!(a.purchase_weeks, 2);
        assert_eq!(a.weeks_since_last_purchase, 1);
        assert_eq!(a.longest_gap_weeks, 3);
        assert_eq!(a.total_spend, 9.0);
    }

    #[test]
    fn lifecycle_stages() {
        let settings = SegmentSettings::default();
        let weeks = |pattern: &str| {
            pattern
                .chars()
                .map(|c| if c == 'x' { 10.0 } else { 0.0 })
                .collect::<Vec<_>>()
        };
        let stage =
            |pattern: &str| lifecycle(&Activity::of(&weeks(pattern)), None, 8, 2, &settings);
        assert_eq!(stage("xxxxxxxxxxxx"), "active");
        assert_eq!(stage("....xxxxx"), "new");
        assert_eq!(stage("xxxxxxxxxx.."), "at risk");
        assert_eq!(stage("xxxx........"), "lapsed");
        assert_eq!(stage("xx........xxxx"), "reactivated");
        let alive = lifecycle(
            &Activity::of(&weeks("xxxxxxxxxxxx")),
            Some(0.2),
            8,
            2,
            &settings,
        );
        assert_eq!(
            alive, "at risk",
            "a low P(alive) is a risk even while buying"
        );
    }

    #[test]
    fn age_bands_follow_the_configured_starts() {
        let starts = [25, 35, 45, 55, 65];
        assert_eq!(age_band(Some(19), &starts), "under 25");
        assert_eq!(age_band(Some(25), &starts), "25-34");
        assert_eq!(age_band(Some(64), &starts), "55-64");
        assert_eq!(age_band(Some(80), &starts), "65+");
        assert_eq!(age_band(None, &starts), "unknown");
    }
}
