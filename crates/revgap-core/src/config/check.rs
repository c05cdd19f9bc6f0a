//! Checking a configuration for meaning: every value in its range, every relation the engine
//! relies on; the first problem is one line naming the key, the value and what was expected.

use super::{Config, InvalidValue};

/// Longest window, horizon or opportunity span accepted (10 years of weeks).
const MAX_WINDOW_WEEKS: usize = 520;
/// More draws than this cost seconds per customer and do not narrow a 90 % interval.
const MAX_BOOTSTRAP_DRAWS: usize = 10_000;
/// A timeout longer than an hour is a typo (and an infinite one panics a timer).
const MAX_TIMEOUT_S: f64 = 3600.0;

impl Config {
    /// Checks every value for meaning (not only for type): the first problem is one line
    /// naming the key, the value and what was expected.
    pub fn validated(self) -> Result<Self, InvalidValue> {
        let mut check = Checks::default();
        let w = &self.windows;
        check.whole(
            "windows.baseline_weeks",
            w.baseline_weeks,
            1,
            MAX_WINDOW_WEEKS,
        );
        check.whole("windows.recent_weeks", w.recent_weeks, 1, MAX_WINDOW_WEEKS);
        check.range("windows.trend_band_pct", w.trend_band_pct, 0.0, 100.0);
        check.whole("windows.level_weeks", w.level_weeks, 1, MAX_WINDOW_WEEKS);
        check.whole(
            "windows.reference_weeks",
            w.reference_weeks,
            1,
            MAX_WINDOW_WEEKS,
        );

        check.range("windows.own_season_weight", w.own_season_weight, 0.0, 1.0);
        if w.season_by != "none" {
            // Lifecycle, RFM and seasonality depend on the models or on the season itself.
            if ["lifecycle", "rfm", "seasonality"].contains(&w.season_by.as_str()) {
                check.fail("windows.season_by", format!(
                    "windows.season_by = {:?}: expected none, value_tier, age_band, household, loyalty, frequency_band or an extra dimension",
                    w.season_by
                ));
            }
            check.dimension("windows.season_by", &w.season_by, &self.segments);
        }
        check.range(
            "windows.season_shrink_customers",
            w.season_shrink_customers,
            0.0,
            1e9,
        );
        let g = &self.gaps;
        for (key, value) in [
            ("gaps.declining_revenue_pct", g.declining_revenue_pct),
            ("gaps.below_baseline_pct", g.below_baseline_pct),
            ("gaps.high_severity_pct", g.high_severity_pct),
            ("gaps.medium_severity_pct", g.medium_severity_pct),
            ("churn.strong_decline_pct", self.churn.strong_decline_pct),
            ("churn.mild_decline_pct", self.churn.mild_decline_pct),
        ] {
            check.decline(key, value);
        }
        check.whole(
            "gaps.zero_spend_weeks",
            g.zero_spend_weeks,
            1,
            w.recent_weeks,
        );
        check.open_closed("gaps.at_risk_spend_ratio", g.at_risk_spend_ratio, 0.0, 1.0);
        check.range("gaps.shortfall_sigmas", g.shortfall_sigmas, 0.0, 100.0);
        check.range(
            "gaps.shortfall_sigmas_high",
            g.shortfall_sigmas_high,
            0.0,
            100.0,
        );
        if g.shortfall_sigmas_high < g.shortfall_sigmas {
            check.fail(
                "gaps.shortfall_sigmas_high",
                "gaps.shortfall_sigmas_high must not be below gaps.shortfall_sigmas".into(),
            );
        }
        if g.high_severity_pct > g.medium_severity_pct {
            check.fail(
                "gaps.high_severity_pct",
                "gaps.high_severity_pct must not be above gaps.medium_severity_pct".into(),
            );
        }
        let c = &self.churn;
        check.open_open(
            "churn.significant_decline_ratio",
            c.significant_decline_ratio,
            0.0,
            1.0,
        );
        for (key, points) in [
            ("churn.zero_spend_points", c.zero_spend_points),
            ("churn.strong_decline_points", c.strong_decline_points),
            ("churn.mild_decline_points", c.mild_decline_points),
            (
                "churn.significant_decline_points",
                c.significant_decline_points,
            ),
            ("churn.risk_points", c.risk_points),
            ("churn.high_risk_points", c.high_risk_points),
        ] {
            check.whole(key, points as usize, 0, 100);
        }
        if c.risk_points > c.high_risk_points {
            check.fail(
                "churn.risk_points",
                "churn.risk_points must not be above churn.high_risk_points".into(),
            );
        }
        if c.probability_bands.is_empty() {
            check.fail(
                "churn.probability_bands",
                "churn.probability_bands must not be empty".into(),
            );
        }
        for band in &c.probability_bands {
            check.range(
                "churn.probability_bands.probability",
                band.probability,
                0.0,
                1.0,
            );
            check.whole(
                "churn.probability_bands.min_points",
                band.min_points as usize,
                0,
                100,
            );
        }
        let o = &self.opportunity;
        for (key, weeks) in [
            ("opportunity.win_back_weeks", o.win_back_weeks),
            ("opportunity.retention_high_weeks", o.retention_high_weeks),
            ("opportunity.retention_weeks", o.retention_weeks),
            ("opportunity.re_engagement_weeks", o.re_engagement_weeks),
        ] {
            check.open_closed(key, weeks, 0.0, MAX_WINDOW_WEEKS as f64);
        }
        for (key, factor) in [
            ("opportunity.recovery_win_back", o.recovery_win_back),
            (
                "opportunity.recovery_retention_high",
                o.recovery_retention_high,
            ),
            ("opportunity.recovery_retention", o.recovery_retention),
            (
                "opportunity.recovery_re_engagement",
                o.recovery_re_engagement,
            ),
        ] {
            check.range(key, factor, 0.0, 10.0);
        }
        let s = &self.scoring;
        for (key, weight) in [
            ("scoring.revenue_impact", s.revenue_impact),
            ("scoring.churn_risk", s.churn_risk),
            ("scoring.customer_value", s.customer_value),
            ("scoring.recovery_probability", s.recovery_probability),
        ] {
            check.range(key, weight, 0.0, 1e6);
        }
        if check.first.is_none() && self.weight_total() <= 0.0 {
            check.fail(
                "scoring",
                "scoring weights are all zero: expected at least one positive weight".into(),
            );
        }
        let m = &self.model;
        check.open_closed(
            "model.horizon_weeks",
            m.horizon_weeks,
            0.0,
            MAX_WINDOW_WEEKS as f64,
        );
        check.open_open("model.interval", m.interval, 0.0, 1.0);
        check.range("model.recalibrate_above", m.recalibrate_above, 0.0, 1.0);
        check.whole(
            "model.bootstrap_draws",
            m.bootstrap_draws as usize,
            1,
            MAX_BOOTSTRAP_DRAWS,
        );
        let g = &self.segments;
        for quantile in g.value_tier_quantiles {
            check.open_open("segments.value_tier_quantiles", quantile, 0.0, 1.0);
        }
        if g.value_tier_quantiles[0] > g.value_tier_quantiles[1] {
            check.fail(
                "segments.value_tier_quantiles",
                "segments.value_tier_quantiles must be in increasing order".into(),
            );
        }
        if let Some(amounts) = g.value_tier_amounts {
            for amount in amounts {
                check.range("segments.value_tier_amounts", amount, 0.0, 1e15);
            }
            if amounts[0] > amounts[1] {
                check.fail(
                    "segments.value_tier_amounts",
                    "segments.value_tier_amounts must be in increasing order".into(),
                );
            }
        }
        check.whole("segments.lapsed_weeks", g.lapsed_weeks, 1, MAX_WINDOW_WEEKS);
        check.range(
            "segments.seasonal_correlation",
            g.seasonal_correlation,
            -1.0,
            1.0,
        );
        check.range("segments.at_risk_p_alive", g.at_risk_p_alive, 0.0, 1.0);
        if g.age_band_starts.is_empty() || !g.age_band_starts.windows(2).all(|w| w[0] < w[1]) {
            check.fail(
                "segments.age_band_starts",
                "segments.age_band_starts must be a non-empty, increasing list".into(),
            );
        }
        for share in g.frequency_band_shares {
            check.open_closed("segments.frequency_band_shares", share, 0.0, 1.0);
        }
        if !g.frequency_band_shares.windows(2).all(|w| w[0] > w[1]) {
            check.fail(
                "segments.frequency_band_shares",
                "segments.frequency_band_shares must be decreasing".into(),
            );
        }
        for rule in &g.rules {
            if let Some(pct) = rule.declining_revenue_pct {
                check.decline("segments.rules.declining_revenue_pct", pct);
            }
            if let Some(pct) = rule.below_baseline_pct {
                check.decline("segments.rules.below_baseline_pct", pct);
            }
            if let Some(weeks) = rule.zero_spend_weeks {
                check.whole("segments.rules.zero_spend_weeks", weeks, 1, w.recent_weeks);
            }
            check.dimension("segments.rules.dimension", &rule.dimension, g);
            for action in rule.actions.iter().flatten() {
                let name = action.as_bytes();
                let is_name = (1..=40).contains(&name.len())
                    && name[0].is_ascii_lowercase()
                    && name
                        .iter()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_');
                if !is_name {
                    check.fail("segments.rules.actions", format!(
                        "segments.rules.actions: {:?}: expected a snake_case action name (a-z, 0-9, _; at most 40)",
                        crate::text::one_line(action)
                    ));
                }
            }
            if rule.actions.as_ref().is_some_and(Vec::is_empty) {
                check.fail(
                    "segments.rules.actions",
                    "segments.rules.actions must not be empty (leave it out for the defaults)"
                        .into(),
                );
            }
        }
        let peers = &self.peers;
        check.dimension("peers.dimension", &peers.dimension, g);
        check.open_open("peers.below_pct", peers.below_pct, -100.0, 0.0);
        check.open_open(
            "peers.high_severity_pct",
            peers.high_severity_pct,
            -100.0,
            0.0,
        );
        if peers.high_severity_pct > peers.below_pct {
            check.fail(
                "peers.high_severity_pct",
                "peers.high_severity_pct must not be above peers.below_pct".into(),
            );
        }
        check.whole("peers.min_group", peers.min_group, 2, usize::MAX);
        check.whole(
            "peers.window_weeks",
            peers.window_weeks,
            1,
            MAX_WINDOW_WEEKS,
        );
        let o = &self.outreach;
        for (key, value) in [
            ("outreach.brand_name", &o.brand_name),
            ("outreach.tone", &o.tone),
            ("outreach.sign_off", &o.sign_off),
            ("outreach.postal_address", &o.postal_address),
        ] {
            if value.trim().is_empty() || value.chars().any(crate::text::is_unsafe_char) {
                check.fail(key, format!("{key}: expected printable, non-empty text"));
            }
        }
        if o.link_domains.is_empty() {
            check.fail(
                "outreach.link_domains",
                "outreach.link_domains must name at least one domain".into(),
            );
        }
        if !crate::text::link_allowed(&o.shop_url, &o.link_domains) {
            check.fail("outreach.shop_url", format!(
                "outreach.shop_url = {:?}: expected an https link on one of outreach.link_domains",
                crate::text::one_line(&o.shop_url)
            ));
        }
        if !crate::text::is_mailbox(&o.from_address) {
            check.fail("outreach.from_address", format!(
                "outreach.from_address = {:?}: expected an address like \"Shop <news@example.com>\"",
                crate::text::one_line(&o.from_address)
            ));
        }
        if !crate::text::link_allowed(&o.unsubscribe_url, &o.link_domains)
            || !o.unsubscribe_url.contains("{customer_id}")
        {
            check.fail("outreach.unsubscribe_url", format!(
                "outreach.unsubscribe_url = {:?}: expected an https link on one of outreach.link_domains with {{customer_id}} in it",
                crate::text::one_line(&o.unsubscribe_url)
            ));
        }
        check.open_closed(
            "outcome.recovered_share",
            self.outcome.recovered_share,
            0.0,
            1.0,
        );
        let bands = self.outcome.risk_bands;
        if !(0.0 < bands[0] && bands[0] < bands[1] && bands[1] < 1.0) {
            check.fail("outcome.risk_bands", format!(
                "outcome.risk_bands = {bands:?}: expected two increasing cut points between 0 and 1"
            ));
        }
        check.whole("outcome.min_cell", self.outcome.min_cell, 2, 1_000_000);
        check.open_closed("outcome.fdr_q", self.outcome.fdr_q, 0.0, 1.0);
        check.open_closed(
            "outcome.prior_strength",
            self.outcome.prior_strength,
            0.0,
            1e6,
        );
        check.whole(
            "outcome.learn_min_treated",
            self.outcome.learn_min_treated,
            1,
            1_000_000,
        );
        if self.outcome.windows.is_empty()
            || self.outcome.windows.iter().any(|w| !(1..=104).contains(w))
        {
            check.fail(
                "outcome.windows",
                "outcome.windows: expected one or more windows of 1 to 104 weeks".into(),
            );
        }
        for problem in o.channels.problems("outreach.channels") {
            check.fail("outreach.global_holdout", problem);
        }
        check.range("outreach.global_holdout", o.global_holdout, 0.0, 0.5);
        if o.global_holdout_salt.trim().is_empty() {
            check.fail(
                "outreach.global_holdout_salt",
                "outreach.global_holdout_salt: expected non-empty text".into(),
            );
        }
        check.whole(
            "outcome.min_control",
            self.outcome.min_control,
            2,
            1_000_000,
        );
        for offer in &o.offers {
            if !["percent", "amount", "points"].contains(&offer.kind.as_str()) {
                check.fail(
                    "outreach.offers",
                    format!(
                        "outreach.offers {:?}: kind = {:?}: expected percent, amount or points",
                        offer.id, offer.kind
                    ),
                );
            }
            check.open_closed("outreach.offers.value", offer.value, 0.0, 1e6);
            if offer.kind == "percent" && offer.value > 100.0 {
                check.fail(
                    "outreach.offers",
                    format!("outreach.offers {:?}: a percent offer above 100", offer.id),
                );
            }
            check.range("outreach.offers.maximum", offer.maximum, 0.0, 1e6);
            check.range("outreach.offers.cost", offer.cost, 0.0, 1e6);
            for fit in &offer.fits {
                if !["win_back", "retention", "re_engagement"].contains(&fit.as_str()) {
                    check.fail("outreach.offers", format!(
                        "outreach.offers {:?}: fits {:?}: expected win_back, retention or re_engagement",
                        offer.id, fit
                    ));
                }
            }
        }
        for event in &self.calendar.events {
            check.range("calendar.events.lift", event.lift, 0.0, 100.0);
            check.range("calendar.events.after_lift", event.after_lift, 0.0, 100.0);
            check.whole("calendar.events.after_weeks", event.after_weeks, 0, 52);
            if event.end < event.start {
                check.fail(
                    "calendar",
                    format!(
                        "calendar event '{}' ends ({}) before it starts ({})",
                        event.name, event.end, event.start
                    ),
                );
            }
        }
        let l = &self.llm;
        check.range("llm.temperature", l.temperature, 0.0, 2.0);
        check.whole(
            "llm.max_output_tokens",
            l.max_output_tokens as usize,
            1,
            100_000,
        );
        for (key, seconds) in [
            ("llm.timeout_s", l.timeout_s),
            ("llm.connect_timeout_s", l.connect_timeout_s),
            ("llm.idle_timeout_s", l.idle_timeout_s),
        ] {
            check.open_closed(key, seconds, 0.0, MAX_TIMEOUT_S);
        }
        check.whole("llm.max_retries", l.max_retries as usize, 0, 20);
        check.open_closed(
            "report.worsened_gap_share",
            self.report.worsened_gap_share,
            0.0,
            10.0,
        );
        if let Some(names) = &l.prompt_attributes
            && let Some(blank) = names.iter().find(|n| n.trim().is_empty())
        {
            check.fail("llm.prompt_attributes", format!(
                "llm.prompt_attributes has {blank:?}: expected column names (age, household_size, loyalty_member, or a customers file column)"
            ));
        }
        match check.first {
            Some(problem) => Err(problem),
            None => Ok(self),
        }
    }
}

/// Collects the first failed check of a configuration.
#[derive(Default)]
struct Checks {
    first: Option<InvalidValue>,
}

impl Checks {
    fn fail(&mut self, key: &str, message: String) {
        self.first.get_or_insert(InvalidValue {
            key: key.to_string(),
            message,
        });
    }

    fn bounded(&mut self, key: &str, value: f64, ok: bool, expected: String) {
        if !(value.is_finite() && ok) {
            self.fail(key, format!("{key} = {value}: expected {expected}"));
        }
    }

    fn range(&mut self, key: &str, value: f64, low: f64, high: f64) {
        self.bounded(
            key,
            value,
            (low..=high).contains(&value),
            format!("a number from {low} to {high}"),
        );
    }

    fn open_closed(&mut self, key: &str, value: f64, low: f64, high: f64) {
        let ok = value > low && value <= high;
        self.bounded(
            key,
            value,
            ok,
            format!("a number above {low} and at most {high}"),
        );
    }

    /// A segment dimension: a built-in one, or a configured extra column.
    fn dimension(&mut self, key: &str, name: &str, segments: &super::SegmentSettings) {
        use crate::config::Dimension;
        let built_in = Dimension::BUILT_IN
            .iter()
            .chain([&Dimension::Seasonality])
            .any(|d| d.key() == name);
        if !built_in && !segments.extra_dimensions.iter().any(|e| e == name) {
            let known: Vec<&str> = Dimension::BUILT_IN.iter().map(Dimension::key).collect();
            self.fail(key, format!(
                "{key} = {:?}: expected a segment dimension ({}, seasonality, or one of segments.extra_dimensions)",
                crate::text::one_line(name),
                known.join(", ")
            ));
        }
    }

    fn open_open(&mut self, key: &str, value: f64, low: f64, high: f64) {
        let ok = value > low && value < high;
        self.bounded(
            key,
            value,
            ok,
            format!("a number strictly between {low} and {high}"),
        );
    }

    /// A decline threshold: a negative percentage.
    fn decline(&mut self, key: &str, value: f64) {
        let ok = (-100.0..0.0).contains(&value);
        self.bounded(
            key,
            value,
            ok,
            "a negative percentage from -100 to below 0 (a decline)".into(),
        );
    }

    fn whole(&mut self, key: &str, value: usize, low: usize, high: usize) {
        if !(low..=high).contains(&value) {
            self.fail(
                key,
                format!("{key} = {value}: expected a whole number from {low} to {high}"),
            );
        }
    }
}
