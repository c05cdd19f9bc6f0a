//! `campaign send --smtp URL`: email straight to the treated members reached by email, through
//! an SMTP relay (lettre; `smtp://host:port`, `smtps://…`, or `smtp://…?tls=required`, with
//! credentials in the URL, which is never shown or logged). Each message carries the
//! campaign's sender, RFC 8058 one-click `List-Unsubscribe` headers and the real unsubscribe
//! link in place of the platform placeholder. Idempotent like the webhook sender: one action
//! per member, its key as the Message-ID, every attempt recorded, a delivered member never
//! sent again; transient (4xx) refusals are retried with backoff, permanent ones (5xx) are
//! recorded and not retried.

use super::{Outcome, Retry};
use crate::campaign::draft::UNSUBSCRIBE;
use crate::config::OutreachSettings;
use crate::ledger::{Ledger, LedgerError};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{Message, SmtpTransport, Transport};

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("--smtp {0}: expected smtp://host:port or smtps://host:port")]
    BadUrl(String),
    #[error("outreach.from_address {0:?}: expected an address like \"Shop <news@example.com>\"")]
    BadSender(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The URL as it may be shown: without any user or password.
pub fn redacted(url: &str) -> String {
    let shown = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    };
    crate::text::one_line(&shown).into_owned()
}

/// The member's own unsubscribe link.
pub fn unsubscribe_link(
    outreach: &OutreachSettings,
    campaign_id: i64,
    customer_id: &str,
) -> String {
    let encoded: String = customer_id
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    outreach
        .unsubscribe_url
        .replace("{campaign_id}", &campaign_id.to_string())
        .replace("{customer_id}", &encoded)
}

/// Sends campaign `campaign_id`'s email members through the relay at `url`, as the campaign's
/// outreach settings say (sender, unsubscribe link).
pub fn send(
    ledger: &mut Ledger,
    campaign_id: i64,
    url: &str,
    retry: Retry,
) -> Result<Outcome, SmtpError> {
    let campaign = ledger.campaign(campaign_id)?;
    let outreach = &campaign.outreach();
    let from: lettre::message::Mailbox = outreach
        .from_address
        .parse()
        .map_err(|_| SmtpError::BadSender(outreach.from_address.clone()))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = SmtpTransport::from_url(url)
        .map_err(|_| SmtpError::BadUrl(redacted(url)))?
        .timeout(Some(retry.timeout))
        .build();
    let members = ledger.members(campaign_id)?;
    let drafts = ledger.drafts(campaign_id)?;
    let mut outcome = Outcome::default();
    let due = super::due(
        ledger,
        campaign_id,
        &members,
        &drafts,
        "email",
        |channel| channel == "email",
        &mut outcome,
    )?;
    for super::Due {
        member,
        draft,
        action,
        key,
    } in due
    {
        let link = unsubscribe_link(outreach, campaign_id, &member.customer_id);
        let message = member
            .address
            .as_deref()
            .unwrap_or("")
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("recipient address: {e}"))
            .and_then(|to| {
                Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(draft.subject.clone().unwrap_or_default())
                    // The action's key: a relay or inbox can tell a re-sent message by it.
                    .message_id(Some(format!("<{key}@revgap.invalid>")))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe"),
                        format!("<{link}>"),
                    ))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click".into(),
                    ))
                    .header(ContentType::TEXT_PLAIN)
                    .body(draft.text.replace(UNSUBSCRIBE, &link))
                    .map_err(|e| format!("message: {e}"))
            });
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                ledger.record_attempt(action.id, None, Some(&error), false)?;
                outcome.refused += 1;
                continue;
            }
        };
        let mut state = Delivery::Pending;
        for attempt in 0..retry.attempts {
            match transport.send(&message) {
                Ok(_) => {
                    ledger.record_attempt(action.id, None, None, true)?;
                    state = Delivery::Delivered;
                    break;
                }
                Err(error) => {
                    // lettre's text names the reply, never the URL or its credentials.
                    let text = crate::text::one_line(&error.to_string()).into_owned();
                    ledger.record_attempt(action.id, None, Some(&text), false)?;
                    if error.is_permanent() {
                        state = Delivery::Refused;
                        break;
                    }
                    if attempt + 1 < retry.attempts {
                        std::thread::sleep(retry.wait(attempt, None));
                    }
                }
            }
        }
        match state {
            Delivery::Delivered => outcome.delivered_now += 1,
            Delivery::Refused => outcome.refused += 1,
            Delivery::Pending => outcome.pending += 1,
        }
    }
    Ok(outcome)
}

enum Delivery {
    Pending,
    Delivered,
    Refused,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        assert_eq!(
            redacted("smtps://user:s3cret@mail.example.com:465"),
            "smtps://…@mail.example.com:465"
        );
        assert_eq!(redacted("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }

    #[test]
    fn unsubscribe_links_are_per_member_and_encoded() {
        let outreach = OutreachSettings::default();
        assert_eq!(
            unsubscribe_link(&outreach, 3, "a b&c"),
            "https://shop.example.com/unsubscribe?campaign=3&customer=a%20b%26c"
        );
    }
}
