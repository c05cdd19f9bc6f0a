//! Customer-facing drafts and the checker that gates them. Drafts here come from
//! deterministic templates (a campaign never depends on a model); every draft, whoever wrote
//! it, passes `check` before it can be stored as passed, exported or sent. Each rule names its
//! failure: an offer outside the catalog, internal words, sensitive attributes, a loyalty claim
//! to a non-member, a missing unsubscribe placeholder or postal address, a link off the
//! configured domains, control or escape characters, SMS length, brand and opt-out text, and
//! the email subject's length.

use revgap_core::config::{Offer, OutreachSettings};

/// The placeholder the sending platform replaces with the customer's unsubscribe link.
pub const UNSUBSCRIBE: &str = "{{unsubscribe_url}}";
/// The opt-out text every SMS carries.
pub const SMS_STOP: &str = "Reply STOP to opt out";
/// Longest email subject (most clients cut beyond it).
pub const SUBJECT_MAX: usize = 78;
/// At most this many SMS parts.
pub const SMS_MAX_PARTS: usize = 2;
/// Longest push notification (what lock screens show without cutting).
pub const PUSH_MAX: usize = 80;

/// One draft for one member and channel (the ledger's row: its verdict and reasons kept).
pub use crate::ledger::StoredDraft as Draft;

/// Who a draft is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recipient<'a> {
    pub first_name: Option<&'a str>,
    pub loyalty_member: bool,
    pub offer: Option<&'a Offer>,
    /// For the sales team's call note: what the customer's spend did (never sent to them).
    pub situation: Option<&'a str>,
    /// The contact's language code ("en", "es", "fr"); model-written drafts use it.
    pub language: Option<&'a str>,
}

/// The template draft for `channel` ("email", "sms", "push", or "phone": the sales team's
/// call note), checked.
pub fn template(channel: &str, recipient: &Recipient<'_>, outreach: &OutreachSettings) -> Draft {
    let brand = &outreach.brand_name;
    let name = recipient
        .first_name
        .map(|name| revgap_core::text::one_line(name).into_owned())
        .filter(|name| !name.is_empty());
    let addressed = |text: String| match &name {
        Some(name) => format!("{name}, {text}"),
        None => {
            let mut chars = text.chars();
            chars.next().map_or(text.clone(), |first| {
                first.to_uppercase().collect::<String>() + chars.as_str()
            })
        }
    };
    let offer = recipient.offer.map(|o| o.description.as_str());
    let (subject, text) = match channel {
        "sms" => {
            let text = match offer {
                Some(offer) => format!(
                    "{brand}: we miss you! {offer} when you come back: {} {SMS_STOP}",
                    outreach.shop_url
                ),
                None => format!(
                    "{brand}: we miss you! See what's new: {} {SMS_STOP}",
                    outreach.shop_url
                ),
            };
            (None, text)
        }
        "push" => {
            let text = match offer {
                Some(offer) => format!("{brand}: {offer} is waiting for you"),
                None => format!("{brand}: we miss you! See what's new"),
            };
            let text = if text.chars().count() > PUSH_MAX {
                format!("We miss you at {brand}")
            } else {
                text
            };
            (None, text)
        }
        "phone" => {
            let who = name.clone().unwrap_or_else(|| "the customer".into());
            let mut text = format!("Call {who} on behalf of {brand}.");
            if let Some(situation) = recipient.situation {
                text.push_str(&format!(" {}", revgap_core::text::one_line(situation)));
            }
            text.push_str(&match offer {
                Some(offer) => format!(" Offer: {offer} (catalog offer, nothing else)."),
                None => " No offer: invite them back and ask what would help.".to_string(),
            });
            text.push_str(" Respect any request not to be called and record it.");
            (None, text)
        }
        _ => {
            let subject = addressed(match offer {
                Some(offer) => format!("{offer} at {brand}"),
                None => format!("it's been a while at {brand}"),
            });
            let subject = if subject.chars().count() > SUBJECT_MAX {
                format!("We miss you at {brand}")
            } else {
                subject
            };
            let invitation = match offer {
                Some(offer) => format!(
                    "As a thank-you for coming back, here is {offer}: {}",
                    outreach.shop_url
                ),
                None => format!("See what's new: {}", outreach.shop_url),
            };
            let message = format!(
                "It has been a while since your last visit to {brand}, and we would love to see you again. {invitation}"
            );
            (Some(subject), message)
        }
    };
    assemble(channel, recipient, outreach, subject, &text, "template")
}

/// A checked draft from its channel's text (for email: the message paragraph, framed here
/// with the greeting, sign-off, postal address and unsubscribe placeholder that every email
/// carries, whoever wrote the paragraph).
pub fn assemble(
    channel: &str,
    recipient: &Recipient<'_>,
    outreach: &OutreachSettings,
    subject: Option<String>,
    text: &str,
    source: &str,
) -> Draft {
    let text = if channel == "email" {
        let greeting = recipient
            .first_name
            .map(|name| revgap_core::text::one_line(name).into_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "there".into());
        format!(
            "Hi {greeting},\n\n{}\n\n{}\n\n{}\nUnsubscribe: {UNSUBSCRIBE}\n",
            text.trim(),
            outreach.sign_off,
            outreach.postal_address
        )
    } else {
        text.to_string()
    };
    let mut draft = Draft {
        channel: channel.to_string(),
        subject,
        text,
        source: source.into(),
        passed: false,
        failures: Vec::new(),
    };
    draft.failures = check(&draft, recipient, outreach);
    draft.passed = draft.failures.is_empty();
    draft
}

/// Words about the analysis that must never reach a customer (English, and the Spanish and
/// French the model may write in for customers who read those).
const INTERNAL: [&str; 17] = [
    "churn",
    "risk",
    "score",
    "priority",
    "gap",
    "probability",
    "revenue at risk",
    "riesgo",
    "abandono",
    "puntuación",
    "prioridad",
    "probabilidad",
    "risque",
    "attrition",
    "priorité",
    "probabilité",
    "écart",
];
/// Sensitive attributes a draft must not mention.
const SENSITIVE: [&str; 7] = [
    "age",
    "years old",
    "household",
    "birthday",
    "edad",
    "años",
    "âge",
];
/// Loyalty claims, allowed only to members.
const LOYALTY: [&str; 6] = ["loyalty", "member", "vip", "fidelidad", "socio", "fidélité"];

/// Every rule the draft breaks (empty: it passes).
pub fn check(draft: &Draft, recipient: &Recipient<'_>, outreach: &OutreachSettings) -> Vec<String> {
    let mut failures = Vec::new();
    let all = match &draft.subject {
        Some(subject) => format!("{subject}\n{}", draft.text),
        None => draft.text.clone(),
    };
    let lower = all.to_lowercase();
    if all
        .chars()
        .any(|c| c != '\n' && revgap_core::text::is_unsafe_char(c))
    {
        failures.push("control, escape or bidi characters".to_string());
    }
    let has_word = |word: &str| {
        lower.match_indices(word).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    };
    // Models echo their data block or answer in HTML or code; no draft needs either.
    let without_placeholder = all.replace(UNSUBSCRIBE, "");
    if without_placeholder.contains(['<', '>', '{', '}', '`']) {
        failures.push("markup, code or data (<, >, {, }, `)".to_string());
    }
    // The call note is for the sales team, who may read the analysis; customers never see it.
    let internal_allowed = draft.channel == "phone";
    for word in INTERNAL.iter().filter(|_| !internal_allowed) {
        if has_word(word) {
            failures.push(format!("internal word \"{word}\""));
        }
    }
    for word in SENSITIVE {
        if has_word(word) {
            failures.push(format!("sensitive attribute \"{word}\""));
        }
    }
    if !recipient.loyalty_member {
        for word in LOYALTY {
            if has_word(word) {
                failures.push(format!("loyalty claim \"{word}\" to a non-member"));
            }
        }
    }
    failures.extend(offer_failures(&all, recipient.offer));
    for url in all
        .split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
    {
        let url = url.trim_end_matches(['.', ',', ')', '!', '?']);
        if !revgap_core::text::link_allowed(url, &outreach.link_domains) {
            failures.push(format!(
                "link off the allowed domains: {}",
                revgap_core::text::one_line(url)
            ));
        }
    }
    match draft.channel.as_str() {
        "email" => {
            if !draft.text.contains(UNSUBSCRIBE) {
                failures.push(format!("no unsubscribe placeholder {UNSUBSCRIBE}"));
            }
            if !draft.text.contains(&outreach.postal_address) {
                failures.push("no postal address".to_string());
            }
            let subject_length = draft.subject.as_deref().map_or(0, |s| s.chars().count());
            if subject_length == 0 || subject_length > SUBJECT_MAX {
                failures.push(format!(
                    "subject of {subject_length} characters (1 to {SUBJECT_MAX})"
                ));
            }
        }
        "sms" => {
            let parts = sms_parts(&draft.text);
            if parts > SMS_MAX_PARTS {
                failures.push(format!("SMS of {parts} parts (at most {SMS_MAX_PARTS})"));
            }
            if !draft.text.contains(&outreach.brand_name) {
                failures.push("SMS without the brand name".to_string());
            }
            if !draft.text.contains(SMS_STOP) {
                failures.push(format!("SMS without \"{SMS_STOP}\""));
            }
        }
        "phone" => {
            if let Some(offer) = recipient.offer
                && !draft.text.contains(&offer.description)
            {
                failures.push(format!(
                    "call note without the offer \"{}\"",
                    offer.description
                ));
            }
        }
        "push" => {
            let length = draft.text.chars().count();
            if length == 0 || length > PUSH_MAX {
                failures.push(format!("push of {length} characters (1 to {PUSH_MAX})"));
            }
        }
        _ => {}
    }
    failures
}

/// Every offer the text makes that is not the recipient's catalog offer (read for meaning:
/// see `offer_claims`).
fn offer_failures(text: &str, offer: Option<&Offer>) -> Vec<String> {
    super::offer_claims::uncovered(text, offer)
        .into_iter()
        .map(|words| {
            format!(
                "offer not in the catalog: {}",
                revgap_core::text::one_line(&words)
            )
        })
        .collect()
}

/// GSM 03.38 basic characters (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension characters (two septets each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How many SMS parts `text` needs: GSM-7 (160 in one part, 153 per part beyond) when every
/// character is in the GSM alphabet, else UCS-2 (70, then 67).
pub fn sms_parts(text: &str) -> usize {
    let septets: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM_BASIC.contains(c) {
                Some(1)
            } else if GSM_EXTENDED.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (length, single, multi) = match septets {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if length <= single {
        1
    } else {
        length.div_ceil(multi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outreach() -> OutreachSettings {
        OutreachSettings::default()
    }

    fn recipient(outreach: &OutreachSettings) -> Recipient<'_> {
        Recipient {
            first_name: Some("Ben"),
            loyalty_member: false,
            offer: outreach.offers.first(),
            situation: Some("Weekly spend fell from 40.00 to 0.00; churn probability 0.75."),
            language: Some("en"),
        }
    }

    /// The template's email, then `edit` applied to its body: the failures.
    fn email_failures(edit: impl Fn(&str) -> String) -> Vec<String> {
        let settings = outreach();
        let who = recipient(&settings);
        let mut draft = template("email", &who, &settings);
        assert!(draft.passed, "{:?}", draft.failures);
        draft.text = edit(&draft.text);
        check(&draft, &who, &settings)
    }

    fn fails_with(failures: &[String], expected: &str) {
        assert!(
            failures.iter().any(|f| f.contains(expected)),
            "expected a failure with {expected:?}: {failures:?}"
        );
    }

    #[test]
    fn templates_pass_for_both_channels_with_and_without_an_offer() {
        let settings = outreach();
        for offer in [settings.offers.first(), None] {
            for channel in ["email", "sms", "push", "phone"] {
                let who = Recipient {
                    offer,
                    ..recipient(&settings)
                };
                let draft = template(channel, &who, &settings);
                assert!(draft.passed, "{channel}: {:?}", draft.failures);
            }
        }
        let sms = template("sms", &recipient(&settings), &settings);
        assert!(
            sms.text.contains("15% off") && sms.text.ends_with(SMS_STOP),
            "{}",
            sms.text
        );
    }

    #[test]
    fn rule_offers_come_from_the_catalog_at_catalog_values() {
        fails_with(
            &email_failures(|t| t.replace("15%", "50%")),
            "offer not in the catalog: 50%",
        );
        fails_with(
            &email_failures(|t| format!("{t} Plus $20 credit.")),
            "offer not in the catalog: $20",
        );
    }

    #[test]
    fn rule_no_internal_words() {
        fails_with(
            &email_failures(|t| format!("{t} Your churn risk is high.")),
            "internal word \"churn\"",
        );
        fails_with(
            &email_failures(|t| format!("{t} Your score dropped.")),
            "internal word \"score\"",
        );
        // A word containing one is fine.
        assert!(
            email_failures(|t| t.replace("Hi", "Hi (scores of new items!)"))
                .iter()
                .all(|f| !f.contains("score"))
        );
    }

    #[test]
    fn rule_no_sensitive_attributes() {
        fails_with(
            &email_failures(|t| format!("{t} At your age, treat yourself.")),
            "sensitive attribute \"age\"",
        );
        fails_with(
            &email_failures(|t| format!("{t} For your household of 4.")),
            "sensitive attribute \"household\"",
        );
    }

    #[test]
    fn rule_loyalty_claims_only_to_members() {
        let claim = |t: &str| format!("{t} As a loyalty member you get more.");
        fails_with(&email_failures(claim), "loyalty claim");
        let settings = outreach();
        let member = Recipient {
            loyalty_member: true,
            ..recipient(&settings)
        };
        let mut draft = template("email", &member, &settings);
        draft.text = claim(&draft.text);
        assert!(check(&draft, &member, &settings).is_empty());
    }

    #[test]
    fn rule_email_carries_unsubscribe_and_postal_address() {
        fails_with(
            &email_failures(|t| t.replace(UNSUBSCRIBE, "")),
            "no unsubscribe placeholder",
        );
        fails_with(
            &email_failures(|t| t.replace("100 Example Street", "")),
            "no postal address",
        );
    }

    #[test]
    fn rule_links_only_to_configured_domains() {
        fails_with(
            &email_failures(|t| format!("{t} https://evil.test/x")),
            "link off the allowed domains: https://evil.test/x",
        );
        fails_with(
            &email_failures(|t| format!("{t} http://shop.example.com/")),
            "link off the allowed domains",
        );
        fails_with(
            &email_failures(|t| format!("{t} https://example.com.evil.test/")),
            "link off",
        );
    }

    #[test]
    fn rule_no_control_or_escape_characters() {
        fails_with(
            &email_failures(|t| format!("{t}\u{1b}[31m")),
            "control, escape or bidi",
        );
        fails_with(
            &email_failures(|t| format!("{t}\u{202e}")),
            "control, escape or bidi",
        );
    }

    #[test]
    fn rule_subject_length() {
        let settings = outreach();
        let who = recipient(&settings);
        let mut draft = template("email", &who, &settings);
        draft.subject = Some("x".repeat(79));
        fails_with(&check(&draft, &who, &settings), "subject of 79 characters");
    }

    #[test]
    fn rule_sms_length_brand_and_opt_out() {
        let settings = outreach();
        let who = recipient(&settings);
        let base = template("sms", &who, &settings);
        let with = |text: String| Draft {
            text,
            ..base.clone()
        };
        fails_with(
            &check(
                &with(format!("{} {}", base.text, "a".repeat(300))),
                &who,
                &settings,
            ),
            "SMS of 3 parts",
        );
        fails_with(
            &check(
                &with(base.text.replace("Northwind Market", "We")),
                &who,
                &settings,
            ),
            "without the brand",
        );
        fails_with(
            &check(&with(base.text.replace(SMS_STOP, "")), &who, &settings),
            "without \"Reply STOP",
        );
    }

    #[test]
    fn rule_no_markup_code_or_echoed_data() {
        fails_with(
            &email_failures(|t| format!("{t}<script>x</script>")),
            "markup, code or data",
        );
        fails_with(
            &email_failures(|t| format!("{t}{{\"brand\": \"x\"}}")),
            "markup, code or data",
        );
        assert!(
            email_failures(|t| t.to_string()).is_empty(),
            "the placeholder is fine"
        );
    }

    #[test]
    fn rule_call_notes_name_the_offer() {
        let settings = outreach();
        let who = recipient(&settings);
        let mut note = template("phone", &who, &settings);
        note.text = "Call them and be nice.".into();
        fails_with(
            &check(&note, &who, &settings),
            "call note without the offer",
        );
    }

    #[test]
    fn rule_push_length() {
        let settings = outreach();
        let who = recipient(&settings);
        let mut draft = template("push", &who, &settings);
        assert!(draft.passed, "{:?}", draft.failures);
        assert!(draft.text.chars().count() <= PUSH_MAX, "{}", draft.text);
        draft.text = "x".repeat(PUSH_MAX + 1);
        fails_with(
            &check(&draft, &who, &settings),
            "push of 81 characters (1 to 80)",
        );
    }

    #[test]
    fn rule_call_notes_may_name_the_analysis_but_not_sensitive_attributes_or_other_offers() {
        let settings = outreach();
        let who = recipient(&settings);
        let note = template("phone", &who, &settings);
        assert!(note.passed, "{:?}", note.failures);
        assert!(
            note.text.contains("churn probability 0.75") && note.text.contains("15% off"),
            "{}",
            note.text
        );
        let mut draft = note.clone();
        draft.text = format!("{} She is 52 years old.", note.text);
        fails_with(&check(&draft, &who, &settings), "sensitive attribute");
        draft.text = format!("{} Offer 40% off if needed.", note.text);
        fails_with(
            &check(&draft, &who, &settings),
            "offer not in the catalog: 40%",
        );
    }

    #[test]
    fn sms_parts_follow_gsm_7_and_ucs_2() {
        assert_eq!(sms_parts(&"a".repeat(160)), 1);
        assert_eq!(sms_parts(&"a".repeat(161)), 2);
        assert_eq!(sms_parts(&"a".repeat(306)), 2);
        assert_eq!(sms_parts(&"a".repeat(307)), 3);
        assert_eq!(
            sms_parts(&"€".repeat(80)),
            1,
            "an extension character is two septets"
        );
        assert_eq!(sms_parts(&"€".repeat(81)), 2);
        assert_eq!(
            sms_parts(&"“quoted”".repeat(10)),
            2,
            "curly quotes are UCS-2: 80 > 70"
        );
    }
}
