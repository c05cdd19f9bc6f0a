//! Campaigns: from an analysis to a stored, randomized campaign. Selection (the top of the
//! ranking, or a list of ids), eligibility before randomization (a consented channel, no
//! opt-out; every exclusion counted by reason), stratified assignment (see `assign`), the
//! channel of each treated member, and the balance and power of the split at creation. The
//! ledger stores the result; control members never leave it.

pub mod assign;
pub mod contacts;
pub mod create;
pub mod draft;
pub mod input_file;
pub mod offer_claims;
pub mod suppress;
pub mod writer;

use crate::ledger::{Arm, Member, StoredDraft};
use contacts::Contact;
use revgap_core::config::{ChannelRules, Offer, OutreachSettings};
use revgap_core::data::Dataset;
use revgap_core::engine::Analysis;
use revgap_core::stats::interval::mean_and_variance;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Control shares allowed, in basis points (5–50 %).
pub const CONTROL_BP_RANGE: std::ops::RangeInclusive<u64> = 500..=5_000;
/// The control share when none is given.
pub const DEFAULT_CONTROL_SHARE: f64 = 0.10;
/// Below this many control customers the measurement will be weak: the creator is warned.
pub const MIN_CONTROL_WARNING: usize = 100;
/// Days from creation to the follow-up analysis (the original's two weeks).
pub const FOLLOW_UP_DAYS: u64 = 14;

/// Who to consider.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// The first N of the ranking.
    Top(usize),
    /// These customer ids, in this order.
    Ids(Vec<String>),
    /// The customers of the ranking that match a filter expression (see `engine::filter`).
    Filter(String),
}

/// A campaign ready to store: members with arms and channels, exclusions by reason, and the
/// checks of the split.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Plan {
    pub members: Vec<Member>,
    pub excluded: BTreeMap<String, i64>,
    pub balance: BTreeMap<String, f64>,
    pub min_detectable_effect: MinDetectableEffect,
    pub warnings: Vec<String>,
    /// How measured campaigns shaped the plan, when they did.
    pub learning: Option<PlanLearning>,
}

/// What learning did to a plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlanLearning {
    /// Measured campaigns in the learned table.
    pub campaigns: usize,
    /// Cells with enough treated members to steer.
    pub active_cells: usize,
    /// Members whose channel or offer was drawn by Thompson sampling (more than one option).
    pub sampled_members: usize,
}

/// An eligible customer before the plan is settled.
struct Eligible {
    candidate: assign::Candidate,
    /// Consented, not opted-out channels in the rules' order (never empty).
    open_channels: Vec<&'static str>,
    pre_weekly_spend: f64,
    customer: usize,
}

/// The smallest incremental revenue this split detects (two-sided α = 0.05, power 0.8), from
/// the spread of the members' weekly spend before the campaign.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MinDetectableEffect {
    pub per_treated_customer_weekly: f64,
    pub total_over_follow_up: f64,
    pub follow_up_weeks: f64,
    pub alpha: f64,
    pub power: f64,
}

/// What a plan is made from besides the analysis.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub contacts: &'a HashMap<String, Contact>,
    /// (customer id, channel or "any") opt-outs from the ledger.
    pub suppressed: &'a HashSet<(String, String)>,
    /// The suppression list: ids and addresses no campaign contacts.
    pub blocked: &'a suppress::Blocklist,
    /// Customers in another campaign whose measurement window is open (left out), by the
    /// campaign they are in; empty when overlap is allowed.
    pub busy: &'a HashMap<String, i64>,
    /// The global holdout: its salt and share in basis points (never contacted).
    pub global_holdout: Option<(&'a str, u64)>,
    pub salt: &'a str,
    /// Control share in basis points.
    pub control_bp: u64,
    pub outreach: &'a OutreachSettings,
    /// The channel rules in force (the config's, or the campaign's override).
    pub channels: &'a ChannelRules,
    /// The catalog offer every treated member gets, instead of the one that fits their gap.
    pub offer: Option<&'a Offer>,
    /// Choose channel and offer by Thompson sampling from what measured campaigns taught.
    pub sampler: Option<&'a crate::outcome::thompson::Sampler<'a>>,
}

/// The first catalog offer that fits the opportunity of a customer's primary gap.
pub fn offer_for(
    gap: Option<revgap_core::engine::GapType>,
    outreach: &OutreachSettings,
) -> Option<&Offer> {
    offers_for(gap, outreach).next()
}

/// Every catalog offer that fits the opportunity of a customer's primary gap, in catalog
/// order.
pub fn offers_for(
    gap: Option<revgap_core::engine::GapType>,
    outreach: &OutreachSettings,
) -> impl Iterator<Item = &Offer> {
    let kind = gap.map(|g| revgap_core::engine::opportunity::OpportunityType::of_gap(g).key());
    outreach
        .offers
        .iter()
        .filter(move |offer| kind.is_some_and(|kind| offer.fits.iter().any(|f| f == kind)))
}

/// Why a campaign cannot be planned (one line each).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("customer {id:?} is not in the data")]
    UnknownCustomer { id: String },
    #[error("--filter {expression:?}: {source}")]
    Filter {
        expression: String,
        source: revgap_core::engine::filter::FilterError,
    },
    #[error("the selection is empty: no customers to put in a campaign")]
    EmptySelection,
    /// Every selected customer is excluded; how many for each reason.
    #[error(
        "no selected customer can be contacted (excluded: {})",
        excluded
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )]
    NoneContactable { excluded: BTreeMap<String, i64> },
}

/// Builds the campaign's plan. Errors are one line (an empty selection, unknown ids).
pub fn plan(
    dataset: &Dataset,
    analysis: &Analysis,
    selection: &Selection,
    inputs: &Inputs<'_>,
) -> Result<Plan, PlanError> {
    let Inputs {
        contacts,
        suppressed,
        blocked,
        busy,
        global_holdout,
        salt,
        control_bp,
        outreach,
        channels,
        offer,
        sampler,
    } = *inputs;
    let chosen: Vec<usize> = match selection {
        // By expected incremental recovery once campaigns have been measured.
        Selection::Top(n) => analysis.targeting_order().into_iter().take(*n).collect(),
        Selection::Ids(ids) => {
            let index_of = revgap_core::data::CustomerIndex::of(&dataset.customer_ids);
            let mut seen = HashSet::new();
            let mut chosen = Vec::new();
            for id in ids {
                let index = index_of
                    .find(id)
                    .ok_or_else(|| PlanError::UnknownCustomer { id: id.clone() })?;
                if seen.insert(index) {
                    chosen.push(index);
                }
            }
            chosen
        }
        Selection::Filter(expression) => {
            let filter = revgap_core::engine::filter::Filter::parse(expression, dataset, analysis)
                .map_err(|source| PlanError::Filter {
                    expression: expression.clone(),
                    source,
                })?;
            analysis
                .ranking
                .iter()
                .copied()
                .filter(|&customer| filter.matches(dataset, analysis, customer))
                .collect()
        }
    };
    if chosen.is_empty() {
        return Err(PlanError::EmptySelection);
    }
    let weeks = dataset.week_count().max(1) as f64;
    let mut excluded: BTreeMap<String, i64> = BTreeMap::new();
    let mut eligible: Vec<Eligible> = Vec::new();
    for customer in chosen {
        let id = dataset.customer_ids[customer].to_string();
        let held_out = global_holdout.is_some_and(|(salt, bp)| assign::bucket(salt, &id) < bp);
        let reason = match contacts.get(&id) {
            _ if held_out => Some("global_holdout"),
            contact if blocked.blocks(&id, contact) => Some("suppressed"),
            None => Some("no_contact"),
            Some(_) if suppressed.contains(&(id.clone(), "any".to_string())) => Some("opted_out"),
            Some(_) if busy.contains_key(&id) => Some("in_another_campaign"),
            Some(contact) => {
                let consented = contact.consented_channels();
                let open_channels: Vec<&'static str> = channels
                    .order
                    .iter()
                    .filter_map(|wanted| {
                        consented.iter().copied().find(|channel| {
                            channel == wanted
                                && !suppressed.contains(&(id.clone(), channel.to_string()))
                        })
                    })
                    .collect();
                if open_channels.is_empty() {
                    Some("no_consented_channel")
                } else {
                    let score = &analysis.scores[customer];
                    eligible.push(Eligible {
                        candidate: assign::Candidate {
                            customer_id: id.clone(),
                            churn_probability: analysis.churn_probability(customer),
                            gap: score.gap_size,
                        },
                        open_channels,
                        pre_weekly_spend: score.total_revenue / weeks,
                        customer,
                    });
                    None
                }
            }
        };
        if let Some(reason) = reason {
            *excluded.entry(reason.to_string()).or_default() += 1;
        }
    }
    if eligible.is_empty() {
        return Err(PlanError::NoneContactable { excluded });
    }
    // Everything a member would get is settled before randomization, for both arms, so that
    // outcomes can later be compared within a channel, offer or segment.
    let phone_tier = phone_tier(&eligible, contacts, suppressed, channels.phone_top_share);
    let tiers = analysis
        .segments
        .get(&revgap_core::segment::Dimension::ValueTier);
    let tier_of = |customer: usize| {
        tiers
            .map(|labels| labels.of(customer).to_string())
            .unwrap_or_default()
    };
    let mut sampled_members = 0;
    let planned: Vec<(&'static str, Option<String>)> = eligible
        .iter()
        .zip(&phone_tier)
        .map(|(member, on_call_list)| {
            let channel_options: &[&'static str] = if *on_call_list {
                &["phone"]
            } else {
                &member.open_channels
            };
            let offer_options: Vec<Option<&str>> = match offer {
                Some(fixed) => vec![Some(fixed.id.as_str())],
                None => {
                    let fitting: Vec<Option<&str>> =
                        offers_for(analysis.scores[member.customer].primary, outreach)
                            .map(|o| Some(o.id.as_str()))
                            .collect();
                    if fitting.is_empty() {
                        vec![None]
                    } else {
                        fitting
                    }
                }
            };
            let options: Vec<crate::outcome::thompson::Choice> = channel_options
                .iter()
                .flat_map(|channel| {
                    offer_options
                        .iter()
                        .map(|offer| crate::outcome::thompson::Choice {
                            channel,
                            offer: *offer,
                        })
                })
                .collect();
            // Without learning: the first channel in the rules' order, the first fitting offer.
            let chosen = match sampler {
                Some(sampler) if options.len() > 1 => {
                    sampled_members += 1;
                    let seed =
                        crate::outcome::thompson::plan_seed(salt, &member.candidate.customer_id);
                    sampler.choose(&tier_of(member.customer), &options, seed)
                }
                _ => 0,
            };
            let choice = options[chosen];
            let channel = channel_options
                .iter()
                .copied()
                .find(|c| *c == choice.channel)
                .unwrap_or(channel_options[0]);
            (channel, choice.offer.map(String::from))
        })
        .collect();
    let candidates: Vec<assign::Candidate> = eligible.iter().map(|e| e.candidate.clone()).collect();
    let strata = assign::strata(&candidates);
    let control = assign::control_arm(&candidates, &strata, salt, control_bp);
    let members: Vec<Member> = eligible
        .iter()
        .zip(planned)
        .zip(&strata)
        .zip(&control)
        .map(
            |(((member, (channel, planned_offer)), stratum), in_control)| {
                let candidate = &member.candidate;
                let contact = contacts.get(&candidate.customer_id);
                let address = contact.map(|c| match channel {
                    "sms" | "phone" => c.phone.clone(),
                    // The app knows its users by customer id.
                    "push" => candidate.customer_id.clone(),
                    _ => c.email.clone(),
                });
                Member {
                    customer_id: candidate.customer_id.clone(),
                    arm: if *in_control {
                        Arm::Control
                    } else {
                        Arm::Treated
                    },
                    stratum: stratum.clone(),
                    bucket: assign::bucket(salt, &candidate.customer_id) as i64,
                    // A control member is never contacted: no channel, offer or address.
                    channel: (!in_control).then(|| channel.to_string()),
                    offer: planned_offer.clone().filter(|_| !in_control),
                    address: address.filter(|_| !in_control),
                    pre_weekly_spend: member.pre_weekly_spend,
                    churn_probability: candidate.churn_probability,
                    gap: candidate.gap,
                    planned_channel: channel.to_string(),
                    planned_offer,
                    segment: tier_of(member.customer),
                }
            },
        )
        .collect();
    type Covariate = (&'static str, fn(&Member) -> f64);
    let covariates: [Covariate; 3] = [
        ("pre_weekly_spend", |m| m.pre_weekly_spend),
        ("churn_probability", |m| m.churn_probability),
        ("gap", |m| m.gap),
    ];
    let balance = covariates
        .iter()
        .map(|(name, value)| (name.to_string(), standardized_difference(&members, *value)))
        .collect();
    let controls = members.iter().filter(|m| m.arm == Arm::Control).count();
    let mut warnings = Vec::new();
    if controls < MIN_CONTROL_WARNING {
        warnings.push(format!(
            "only {controls} control customers (fewer than {MIN_CONTROL_WARNING}): the measured effect will have a wide interval"
        ));
    }
    Ok(Plan {
        min_detectable_effect: min_detectable_effect(&members),
        members,
        excluded,
        balance,
        warnings,
        learning: sampler.map(|sampler| PlanLearning {
            campaigns: sampler.table().campaigns,
            active_cells: sampler.table().cells.iter().filter(|c| c.active).count(),
            sampled_members,
        }),
    })
}

/// Each eligible customer's channel: their consented one, except that the `share` of them
/// (rounded) with the largest gaps who have a phone number and no phone opt-out go on the
/// sales team's call list ("phone"); ties broken by customer id. Decided before
/// randomization, so the tier is the same share of both arms.
fn phone_tier(
    eligible: &[Eligible],
    contacts: &HashMap<String, Contact>,
    suppressed: &HashSet<(String, String)>,
    share: f64,
) -> Vec<bool> {
    let mut on_call_list = vec![false; eligible.len()];
    let wanted = (share * eligible.len() as f64).round() as usize;
    let callable = |candidate: &assign::Candidate| {
        contacts
            .get(&candidate.customer_id)
            .is_some_and(|c| !c.phone.is_empty())
            && !suppressed.contains(&(candidate.customer_id.clone(), "phone".to_string()))
    };
    let mut order: Vec<usize> = (0..eligible.len())
        .filter(|&i| callable(&eligible[i].candidate))
        .collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&eligible[a].candidate, &eligible[b].candidate);
        y.gap
            .total_cmp(&x.gap)
            .then_with(|| x.customer_id.cmp(&y.customer_id))
    });
    for index in order.into_iter().take(wanted) {
        on_call_list[index] = true;
    }
    on_call_list
}

/// A treated member as their drafts see them.
#[derive(Debug, Clone)]
pub struct Addressee<'a> {
    pub member: &'a Member,
    pub channel: &'a str,
    pub first_name: Option<&'a str>,
    pub loyalty_member: bool,
    pub offer: Option<&'a Offer>,
    pub language: Option<&'a str>,
    /// The call note's brief (phone tier only).
    pub situation: Option<String>,
}

impl Addressee<'_> {
    pub fn recipient(&self) -> draft::Recipient<'_> {
        draft::Recipient {
            first_name: self.first_name,
            loyalty_member: self.loyalty_member,
            offer: self.offer,
            situation: self.situation.as_deref(),
            language: self.language,
        }
    }
}

/// Every treated member with a channel, with what their drafts may say.
pub fn addressees<'a>(
    dataset: &Dataset,
    members: &'a [Member],
    contacts: &'a HashMap<String, Contact>,
    outreach: &'a OutreachSettings,
) -> Vec<Addressee<'a>> {
    use rayon::prelude::*;
    let index_of = revgap_core::data::CustomerIndex::of(&dataset.customer_ids);
    members
        .par_iter()
        .filter(|m| m.arm == Arm::Treated)
        .filter_map(|member| {
            let channel = member.channel.as_deref()?;
            let loyalty_member = index_of
                .find(&member.customer_id)
                .and_then(|c| dataset.profiles.get(c)?.as_ref())
                .and_then(|p| p.loyalty_member)
                .unwrap_or(false);
            let contact = contacts.get(&member.customer_id);
            let first_name = contact.and_then(|c| {
                c.extra
                    .iter()
                    .find(|(column, _)| column == "first_name")
                    .map(|(_, value)| value.as_str())
            });
            let offer = member
                .offer
                .as_ref()
                .and_then(|id| outreach.offers.iter().find(|o| &o.id == id));
            Some(Addressee {
                member,
                channel,
                first_name,
                loyalty_member,
                offer,
                language: contact
                    .map(|c| c.language.as_str())
                    .filter(|l| !l.is_empty()),
                situation: (channel == "phone").then(|| situation_of(member)),
            })
        })
        .collect()
}

/// The template draft of every treated member on their channel, checked (see `draft`).
pub fn drafts(
    dataset: &Dataset,
    members: &[Member],
    contacts: &HashMap<String, Contact>,
    outreach: &OutreachSettings,
) -> Vec<(String, StoredDraft)> {
    templates(&addressees(dataset, members, contacts, outreach), outreach)
}

/// The template draft of each addressee on their channel, checked.
pub fn templates(
    addressees: &[Addressee<'_>],
    outreach: &OutreachSettings,
) -> Vec<(String, StoredDraft)> {
    use rayon::prelude::*;
    addressees
        .par_iter()
        .map(|addressee| {
            (
                addressee.member.customer_id.clone(),
                draft::template(addressee.channel, &addressee.recipient(), outreach),
            )
        })
        .collect()
}

/// The sales team's one-line brief for a call: what the member spent and what they stopped
/// spending (plain numbers: currency signs are reserved for catalog offers).
fn situation_of(member: &Member) -> String {
    format!(
        "Spent {:.2} a week on average; about {:.2} a week below their usual now; churn probability {:.2}.",
        member.pre_weekly_spend, member.gap, member.churn_probability
    )
}

fn arm_values(members: &[Member], arm: Arm, value: fn(&Member) -> f64) -> Vec<f64> {
    members.iter().filter(|m| m.arm == arm).map(value).collect()
}

/// (mean treated − mean control) / √((var treated + var control) / 2); 0 when both arms are
/// constant.
fn standardized_difference(members: &[Member], value: fn(&Member) -> f64) -> f64 {
    let (mean_t, var_t) = mean_and_variance(&arm_values(members, Arm::Treated, value));
    let (mean_c, var_c) = mean_and_variance(&arm_values(members, Arm::Control, value));
    let pooled = ((var_t + var_c) / 2.0).sqrt();
    if pooled > 0.0 {
        (mean_t - mean_c) / pooled
    } else {
        0.0
    }
}

fn min_detectable_effect(members: &[Member]) -> MinDetectableEffect {
    const ALPHA: f64 = 0.05;
    const POWER: f64 = 0.8;
    let all: Vec<f64> = members.iter().map(|m| m.pre_weekly_spend).collect();
    let (_, variance) = mean_and_variance(&all);
    let treated = members.iter().filter(|m| m.arm == Arm::Treated).count() as f64;
    let control = members.len() as f64 - treated;
    let z = revgap_core::stats::normal_quantile(1.0 - ALPHA / 2.0)
        + revgap_core::stats::normal_quantile(POWER);
    let per_customer = if treated > 0.0 && control > 0.0 {
        z * variance.sqrt() * (1.0 / treated + 1.0 / control).sqrt()
    } else {
        f64::INFINITY
    };
    let follow_up_weeks = FOLLOW_UP_DAYS as f64 / 7.0;
    MinDetectableEffect {
        per_treated_customer_weekly: per_customer,
        total_over_follow_up: per_customer * treated * follow_up_weeks,
        follow_up_weeks,
        alpha: ALPHA,
        power: POWER,
    }
}
