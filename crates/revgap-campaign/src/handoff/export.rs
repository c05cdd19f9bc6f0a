//! `campaign export`: the treated members whose draft passed the checker, as a UTF-8 CSV that
//! a sending platform imports without edits (one preset per platform: its identifier and
//! consent headers first, then revgap's campaign, arm, channel, offer and draft columns).
//! Control members never reach the file, nor anyone on the suppression list, nor a member
//! without the address the platform keys contacts by (counted); the phone tier goes to the
//! call list (and the generic and HubSpot files), not to the email and SMS platforms. Phone numbers are E.164; text cells are neutralised
//! against formulas; the file is written atomically.

use crate::ledger::{Arm, Campaign, Member, StoredDraft};
use std::collections::HashMap;
use std::io::Write;

/// The import formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// customer_id,email,phone,channel,offer_id,subject,body,sms plus campaign and arm.
    Generic,
    /// Mailchimp audience import: "Email Address", "Phone Number" (E.164), "Tags".
    Mailchimp,
    /// Klaviyo list import: "Email" first, "Phone Number", the consent columns.
    Klaviyo,
    /// HubSpot contacts import: "Email" (the deduplication key), "Phone Number".
    Hubspot,
    /// Braze user CSV import: external_id, email, phone (E.164).
    Braze,
    /// The sales team's call list: the phone tier only, with each call note.
    CallList,
}

impl revgap_core::choice::Choice for Preset {
    const ALL: &'static [Self] = &[
        Self::Generic,
        Self::Mailchimp,
        Self::Klaviyo,
        Self::Hubspot,
        Self::Braze,
        Self::CallList,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Mailchimp => "mailchimp",
            Self::Klaviyo => "klaviyo",
            Self::Hubspot => "hubspot",
            Self::Braze => "braze",
            Self::CallList => "call-list",
        }
    }

    fn help(self) -> Option<&'static str> {
        Some(match self {
            Self::Generic => {
                "customer_id,email,phone,channel,offer_id,subject,body,sms plus campaign and arm"
            }
            Self::Mailchimp => {
                "Mailchimp audience import: \"Email Address\", \"Phone Number\" (E.164), \"Tags\""
            }
            Self::Klaviyo => {
                "Klaviyo list import: \"Email\" first, \"Phone Number\", the consent columns"
            }
            Self::Hubspot => {
                "HubSpot contacts import: \"Email\" (the deduplication key), \"Phone Number\""
            }
            Self::Braze => "Braze user CSV import: external_id, email, phone (E.164)",
            Self::CallList => {
                "the sales team's call list: the phone tier only, with each call note"
            }
        })
    }
}

revgap_core::choice_traits!(Preset);

/// revgap's own columns, after each platform's.
const REVGAP_COLUMNS: [&str; 10] = [
    "revgap_customer_id",
    "revgap_campaign_id",
    "revgap_arm",
    "revgap_channel",
    "revgap_offer_id",
    "revgap_subject",
    "revgap_body",
    "revgap_sms",
    "revgap_push",
    "revgap_call_note",
];

impl Preset {
    /// The header, in order.
    pub fn columns(self) -> Vec<&'static str> {
        let platform: &[&str] = match self {
            Self::Generic => {
                return vec![
                    "customer_id",
                    "email",
                    "phone",
                    "channel",
                    "offer_id",
                    "subject",
                    "body",
                    "sms",
                    "campaign_id",
                    "arm",
                    "push",
                    "call_note",
                ];
            }
            Self::CallList => {
                return vec![
                    "customer_id",
                    "phone",
                    "offer_id",
                    "call_note",
                    "campaign_id",
                    "follow_up",
                ];
            }
            Self::Mailchimp => &["Email Address", "Phone Number", "Tags"],
            Self::Klaviyo => &[
                "Email",
                "Phone Number",
                "Email Marketing Consent",
                "SMS Marketing Consent",
            ],
            Self::Hubspot => &["Email", "Phone Number"],
            Self::Braze => &["external_id", "email", "phone"],
        };
        platform
            .iter()
            .chain(REVGAP_COLUMNS.iter())
            .copied()
            .collect()
    }

    /// One member's cells, in column order.
    fn row(self, campaign: &Campaign, member: &Member, draft: &StoredDraft) -> Vec<String> {
        let channel = member.channel.clone().unwrap_or_default();
        let address = member.address.clone().unwrap_or_default();
        let (email, phone) = match channel.as_str() {
            "sms" | "phone" => (String::new(), e164(&address)),
            "email" => (address, String::new()),
            _ => (String::new(), String::new()),
        };
        // Each channel's text has its own column; the others stay blank.
        let text_for = |wanted: &str| {
            if channel == wanted {
                draft.text.clone()
            } else {
                String::new()
            }
        };
        let (body, sms, push, call_note) = (
            text_for("email"),
            text_for("sms"),
            text_for("push"),
            text_for("phone"),
        );
        let offer = member.offer.clone().unwrap_or_default();
        let subject = draft.subject.clone().unwrap_or_default();
        let id = campaign.campaign_id.to_string();
        let arm = member.arm.key().to_string();
        let revgap = [
            member.customer_id.clone(),
            id.clone(),
            arm.clone(),
            channel.clone(),
            offer.clone(),
            subject.clone(),
            body.clone(),
            sms.clone(),
            push.clone(),
            call_note.clone(),
        ];
        // Consent is what the customer gave for the channel they are reached on; the other
        // channel stays blank ("never subscribed" to Klaviyo), never assumed.
        let consent = |wanted: &str| {
            if channel == wanted {
                "Subscribed".to_string()
            } else {
                String::new()
            }
        };
        let platform: Vec<String> = match self {
            Self::Generic => {
                return vec![
                    member.customer_id.clone(),
                    email,
                    phone,
                    channel,
                    offer,
                    subject,
                    body,
                    sms,
                    id,
                    arm,
                    push,
                    call_note,
                ];
            }
            Self::CallList => {
                return vec![
                    member.customer_id.clone(),
                    phone,
                    offer,
                    call_note,
                    id,
                    campaign.follow_up.clone(),
                ];
            }
            Self::Mailchimp => vec![email, phone, format!("revgap-campaign-{id}")],
            Self::Klaviyo => vec![email, phone, consent("email"), consent("sms")],
            Self::Hubspot => vec![email, phone],
            Self::Braze => vec![member.customer_id.clone(), email, phone],
        };
        platform.into_iter().chain(revgap).collect()
    }
}

/// "+1-202-555-0100" → "+12025550100" (see `contacts::e164`); other text as given.
pub fn e164(phone: &str) -> String {
    crate::campaign::contacts::e164(phone).unwrap_or_else(|_| phone.to_string())
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub members: usize,
    /// Treated members without a draft that passed: not exported.
    pub held_back: usize,
    /// Treated members on a channel this preset does not carry (the phone tier outside the
    /// call list, HubSpot and generic; everyone else in the call list).
    pub other_channel: usize,
    /// Treated members on the suppression list (by id or address): never exported.
    pub suppressed: usize,
    /// Treated members without the address the platform keys its contacts by (an email for
    /// Mailchimp and HubSpot, an email or phone for Klaviyo, a phone for the call list).
    pub no_address: usize,
}

impl Preset {
    /// Whether the platform can import a member with these addresses.
    fn has_address(self, email: bool, phone: bool) -> bool {
        match self {
            Self::Mailchimp | Self::Hubspot => email,
            Self::Klaviyo => email || phone,
            Self::CallList => phone,
            // Keyed by the customer id.
            Self::Generic | Self::Braze => true,
        }
    }

    /// Whether this preset carries members reached on `channel`.
    pub fn carries(self, channel: &str) -> bool {
        match self {
            Self::Generic | Self::Hubspot => true,
            Self::CallList => channel == "phone",
            Self::Mailchimp | Self::Klaviyo | Self::Braze => channel != "phone",
        }
    }
}

/// Writes the export of `campaign` to `out`.
pub fn write(
    out: &std::path::Path,
    preset: Preset,
    campaign: &Campaign,
    members: &[Member],
    drafts: &HashMap<String, Vec<StoredDraft>>,
    blocked: &crate::campaign::suppress::Blocklist,
) -> std::io::Result<Written> {
    let mut written = Written::default();
    let columns = preset.columns();
    revgap_core::atomic::write_with(
        out,
        revgap_core::atomic::Access::Private,
        |file: &mut (dyn Write + Send)| {
            let mut writer = csv::Writer::from_writer(file);
            writer.write_record(&columns)?;
            // Control members are the measurement: they never reach a file that leaves revgap.
            for member in members.iter().filter(|m| m.arm == Arm::Treated) {
                let channel = member.channel.as_deref().unwrap_or("");
                if !preset.carries(channel) {
                    written.other_channel += 1;
                    continue;
                }
                if blocked.blocks_member(&member.customer_id, member.address.as_deref()) {
                    written.suppressed += 1;
                    continue;
                }
                let address = member.address.as_deref().filter(|a| !a.trim().is_empty());
                let (email, phone) = match channel {
                    "email" => (address.is_some(), false),
                    "sms" | "phone" => (false, address.is_some()),
                    _ => (false, false),
                };
                if !preset.has_address(email, phone) {
                    written.no_address += 1;
                    continue;
                }
                let draft = drafts
                    .get(&member.customer_id)
                    .and_then(|list| list.iter().find(|d| d.channel == channel && d.passed));
                let Some(draft) = draft else {
                    written.held_back += 1;
                    continue;
                };
                let cells = preset.row(campaign, member, draft);
                writer.write_record(cells.iter().zip(&columns).map(|(cell, column)| {
                    if column.to_ascii_lowercase().contains("phone") {
                        revgap_core::text::csv_phone_cell(cell).into_owned()
                    } else {
                        revgap_core::text::csv_text_cell(cell).into_owned()
                    }
                }))?;
                written.members += 1;
            }
            writer.flush()?;
            Ok(())
        },
    )?;
    Ok(written)
}
