//! Outreach settings: the brand's voice, the legal footer, allowed link domains and the offer
//! catalog that customer-facing drafts are held to.

use serde::{Deserialize, Serialize};

/// What customer-facing drafts say and may say: the brand's voice, the legal footer, the
/// allowed link domains, and the offer catalog (nothing outside it can be offered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutreachSettings {
    pub brand_name: String,
    /// The brand's voice, as model-written drafts are told it.
    pub tone: String,
    pub sign_off: String,
    /// Printed in every email (anti-spam laws require a postal address).
    pub postal_address: String,
    /// Links in drafts may point only here.
    pub link_domains: Vec<String>,
    /// Where customers go to use an offer (must be on a `link_domains` domain).
    pub shop_url: String,
    /// The sender of emails revgap sends itself (`campaign send --smtp`).
    pub from_address: String,
    /// The unsubscribe link of emails revgap sends itself, in place of the platform's
    /// placeholder; `{campaign_id}` and `{customer_id}` are filled in (on a `link_domains`
    /// domain).
    pub unsubscribe_url: String,
    pub offers: Vec<Offer>,
    pub channels: ChannelRules,
    /// Share (0 to 0.5) of all customers held out of every campaign, by a stable salted hash
    /// of their id, to measure what campaigns do overall (0: no global holdout).
    pub global_holdout: f64,
    /// The salt of the global holdout's hash: a new salt reshuffles who is held out.
    pub global_holdout_salt: String,
}

/// Which channel each treated customer is reached on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelRules {
    /// Channels in order of preference ("email", "sms", "push"): a customer gets the first one
    /// they consented to and have not opted out of.
    pub order: Vec<String>,
    /// Share (0–1) of the treated customers, largest gaps first, who go on the sales team's
    /// call list instead (those with a phone number and no opt-out); 0 turns the tier off.
    pub phone_top_share: f64,
}

/// Channels a customer can consent to (the phone tier is chosen by gap, not by consent).
pub const CONSENT_CHANNELS: [&str; 3] = ["email", "sms", "push"];

impl ChannelRules {
    /// What is wrong with these rules, one line each (`key` names where they came from).
    pub fn problems(&self, key: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.order.is_empty() {
            problems.push(format!("{key}.order must name at least one channel"));
        }
        for (at, channel) in self.order.iter().enumerate() {
            if !CONSENT_CHANNELS.contains(&channel.as_str()) {
                problems.push(format!(
                    "{key}.order: {:?}: expected email, sms or push",
                    crate::text::one_line(channel)
                ));
            } else if self.order[..at].contains(channel) {
                problems.push(format!("{key}.order names {channel:?} twice"));
            }
        }
        if !(0.0..=1.0).contains(&self.phone_top_share) {
            problems.push(format!(
                "{key}.phone_top_share = {}: expected a share from 0 to 1",
                self.phone_top_share
            ));
        }
        problems
    }
}

impl Default for ChannelRules {
    fn default() -> Self {
        Self {
            order: CONSENT_CHANNELS.iter().map(|c| c.to_string()).collect(),
            phone_top_share: 0.05,
        }
    }
}

/// One catalog offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub id: String,
    pub description: String,
    /// "percent", "amount" or "points".
    pub kind: String,
    pub value: f64,
    /// The most the offer may be worth to one customer (currency).
    pub maximum: f64,
    /// Opportunity types it fits: win_back, retention, re_engagement.
    pub fits: Vec<String>,
    /// What one redemption costs (for the net effect later).
    pub cost: f64,
}

impl Default for OutreachSettings {
    fn default() -> Self {
        let offer =
            |id: &str, description: &str, kind: &str, value: f64, maximum: f64, fits: &str| Offer {
                id: id.into(),
                description: description.into(),
                kind: kind.into(),
                value,
                maximum,
                fits: vec![fits.into()],
                cost: maximum / 2.0,
            };
        Self {
            brand_name: "Northwind Market".into(),
            tone: "warm, brief and friendly; never pushy".into(),
            sign_off: "The Northwind Market team".into(),
            postal_address: "Northwind Market, 100 Example Street, Springfield, USA".into(),
            link_domains: vec!["example.com".into()],
            shop_url: "https://shop.example.com/welcome-back".into(),
            from_address: "Northwind Market <news@example.com>".into(),
            unsubscribe_url:
                "https://shop.example.com/unsubscribe?campaign={campaign_id}&customer={customer_id}"
                    .into(),
            offers: vec![
                offer(
                    "WINBACK15",
                    "15% off your next order",
                    "percent",
                    15.0,
                    30.0,
                    "win_back",
                ),
                offer(
                    "RETAIN10",
                    "10% off your next order",
                    "percent",
                    10.0,
                    20.0,
                    "retention",
                ),
                offer(
                    "RETURN5",
                    "$5 off your next order",
                    "amount",
                    5.0,
                    5.0,
                    "re_engagement",
                ),
            ],
            channels: ChannelRules::default(),
            global_holdout: 0.0,
            global_holdout_salt: "revgap-global-holdout".into(),
        }
    }
}
