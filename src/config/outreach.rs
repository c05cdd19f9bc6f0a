//! Outreach settings: the brand's voice, the legal footer, allowed link domains and the offer
//! catalog that customer-facing drafts are held to.

use serde::{Deserialize, Serialize};

/// What customer-facing drafts say and may say: the brand's voice, the legal footer, the
/// allowed link domains, and the offer catalog (nothing outside it can be offered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutreachSettings {
    pub brand_name: String,
    pub sign_off: String,
    /// Printed in every email (anti-spam laws require a postal address).
    pub postal_address: String,
    /// Links in drafts may point only here.
    pub link_domains: Vec<String>,
    /// Where customers go to use an offer (must be on a `link_domains` domain).
    pub shop_url: String,
    pub offers: Vec<Offer>,
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
            sign_off: "The Northwind Market team".into(),
            postal_address: "Northwind Market, 100 Example Street, Springfield, USA".into(),
            link_domains: vec!["example.com".into()],
            shop_url: "https://shop.example.com/welcome-back".into(),
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
        }
    }
}
