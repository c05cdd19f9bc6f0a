//! The fact sheet about one customer that a prompt may use, and the only numbers generated
//! text may cite. Customer-supplied text (ids, attribute values) is carried as data, length
//! capped and stripped of control characters, never as instructions.

use crate::config::Config;
use crate::data::Dataset;
use crate::engine::{CustomerInsight, GapType};
use serde::Serialize;

/// Longest attribute value passed to a model.
const MAX_FIELD_CHARS: usize = 60;

/// Everything a narrative may state about a customer. Money is weekly dollars rounded to
/// cents, percentages to 0.1, as shown to the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facts {
    pub customer_id: String,
    pub age: Option<u32>,
    pub household_size: Option<u32>,
    /// `Some(true)` member, `Some(false)` non-member, `None` unknown.
    pub loyalty_member: Option<bool>,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub primary_gap: Option<String>,
    pub severity: Option<String>,
    pub other_gaps: Vec<String>,
    pub baseline_weekly_spend: f64,
    pub recent_weekly_spend: f64,
    pub latest_week_spend: f64,
    pub trend_pct: f64,
    pub weekly_gap: f64,
    pub gap_pct: f64,
    pub weeks_at_risk: usize,
    pub weeks_since_last_purchase: usize,
    pub churn_score: f64,
    pub churn_probability_pct: f64,
    pub opportunity: Option<String>,
    pub potential_recovery: f64,
    pub recommended_actions: Vec<String>,
    pub baseline_weeks: usize,
    pub recent_weeks: usize,
}

fn round(value: f64, places: i32) -> f64 {
    crate::format::round(value, places)
}

/// Makes customer text safe to embed: no control characters, bounded length.
pub fn clean_field(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_CHARS)
        .collect()
}

/// Words in a column name that mark a person's name, contact details or free text: such a
/// column never reaches a model unless the config lists it.
const PRIVATE_NAME_PARTS: [&str; 10] = [
    "name",
    "mail",
    "phone",
    "address",
    "street",
    "note",
    "comment",
    "description",
    "text",
    "message",
];

/// Whether the attribute `column` may be sent to a model under `config`.
pub fn may_send(column: &str, config: &Config) -> bool {
    match &config.llm.prompt_attributes {
        Some(allowed) => allowed
            .iter()
            .any(|name| name.trim().eq_ignore_ascii_case(column)),
        None => {
            let lower = column.to_ascii_lowercase();
            !PRIVATE_NAME_PARTS.iter().any(|part| lower.contains(part))
        }
    }
}

impl Facts {
    pub fn of(dataset: &Dataset, insight: &CustomerInsight, config: &Config) -> Self {
        let send = |column: &str| may_send(column, config);
        let profile = dataset
            .profiles
            .get(insight.customer)
            .and_then(Option::as_ref);
        let gap = insight.primary_gap;
        let p = &insight.profile;
        Self {
            customer_id: clean_field(&dataset.customer_ids[insight.customer]),
            age: profile.and_then(|p| p.age).filter(|_| send("age")),
            household_size: profile
                .and_then(|p| p.household_size)
                .filter(|_| send("household_size")),
            loyalty_member: profile
                .and_then(|p| p.loyalty_member)
                .filter(|_| send("loyalty_member")),
            attributes: profile
                .map(|p| {
                    dataset
                        .extra_columns
                        .iter()
                        .zip(p.extra.iter())
                        .filter(|(name, _)| send(name))
                        .map(|(name, value)| (clean_field(name), clean_field(value)))
                        .collect()
                })
                .unwrap_or_default(),
            primary_gap: gap.map(|g| g.kind.key().to_string()),
            severity: gap.map(|g| g.severity.key().to_string()),
            other_gaps: insight
                .secondary_gaps
                .iter()
                .map(|g| g.kind.key().to_string())
                .collect(),
            baseline_weekly_spend: round(p.baseline_avg, 2),
            recent_weekly_spend: round(p.recent_avg, 2),
            latest_week_spend: round(p.latest_week, 2),
            trend_pct: round(p.trend_pct, 1),
            weekly_gap: round(gap.map_or(0.0, |g| g.gap_amount.abs()), 2),
            gap_pct: round(gap.map_or(0.0, |g| g.gap_pct.abs()), 1),
            weeks_at_risk: gap.map_or(0, |g| g.weeks_at_risk),
            weeks_since_last_purchase: p.weeks_since_last_purchase,
            churn_score: insight.churn.score(),
            churn_probability_pct: round(insight.churn.probability * 100.0, 0),
            opportunity: insight
                .opportunity
                .as_ref()
                .map(|o| o.kind.key().to_string()),
            potential_recovery: round(
                insight
                    .opportunity
                    .as_ref()
                    .map_or(0.0, |o| o.potential_revenue),
                2,
            ),
            recommended_actions: insight
                .opportunity
                .as_ref()
                .map(|o| o.actions.iter().map(|a| a.to_string()).collect())
                .unwrap_or_default(),
            baseline_weeks: config.windows.baseline_weeks,
            recent_weeks: config.windows.recent_weeks,
        }
    }

    /// Whether the customer has a gap of this kind (primary or secondary).
    pub fn has_gap(&self, kind: GapType) -> bool {
        self.primary_gap.as_deref() == Some(kind.key())
            || self.other_gaps.iter().any(|g| g == kind.key())
    }

    /// Every number the facts contain, as the model saw them (absolute values).
    pub fn numbers(&self) -> Vec<f64> {
        let mut numbers = vec![
            self.baseline_weekly_spend,
            self.recent_weekly_spend,
            self.latest_week_spend,
            self.trend_pct.abs(),
            self.weekly_gap,
            self.gap_pct,
            self.weeks_at_risk as f64,
            self.weeks_since_last_purchase as f64,
            self.churn_score,
            self.churn_probability_pct,
            self.potential_recovery,
            self.baseline_weeks as f64,
            self.recent_weeks as f64,
        ];
        numbers.extend(self.age.map(f64::from));
        numbers.extend(self.household_size.map(f64::from));
        // The customer id, when numeric, may be cited ("customer 28").
        numbers.extend(self.customer_id.parse::<f64>().ok());
        numbers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_free_text_stay_home_unless_the_config_lists_them() {
        let mut config = Config::default();
        for column in ["age", "region", "loyalty_member", "store"] {
            assert!(may_send(column, &config), "{column}");
        }
        for column in [
            "name",
            "first_name",
            "Email",
            "phone_number",
            "notes",
            "Comment",
        ] {
            assert!(!may_send(column, &config), "{column}");
        }
        config.llm.prompt_attributes = Some(vec!["name".into(), " Region ".into()]);
        assert!(may_send("name", &config) && may_send("region", &config));
        assert!(!may_send("age", &config) && !may_send("store", &config));
        config.llm.prompt_attributes = Some(vec![]);
        assert!(!may_send("region", &config));
    }
}
