//! `campaign send --smtp URL`: email straight to the treated members reached by email, through
//! an SMTP relay (lettre; `smtp://host:port`, `smtps://…`, or `smtp://…?tls=required`, with
//! credentials in the URL, which is never shown or logged). Each message carries the
//! campaign's sender, RFC 8058 one-click `List-Unsubscribe` headers and the real unsubscribe
//! link in place of the platform placeholder. Idempotent like the webhook sender: one action
//! per member, its key as the Message-ID, every attempt recorded, a delivered member never
//! sent again; transient (4xx) refusals are retried with backoff, permanent ones (5xx) are
//! recorded and not retried. Credentials travel only over TLS (`smtps://` or
//! `smtp://…?tls=required`) unless `--smtp-insecure-auth` says otherwise, and whatever the
//! relay answers is redacted of them before it is recorded or shown.

use super::{Attempt, Outcome, SendPolicy};
use crate::campaign::draft::UNSUBSCRIBE;
use crate::ledger::{Ledger, LedgerError};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{Message, SmtpTransport, Transport};
use revgap_core::config::OutreachSettings;

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("--smtp {0}: expected smtp://host:port or smtps://host:port")]
    BadUrl(String),
    #[error(
        "--smtp {0}: the credentials would go over a connection that is not encrypted; expected smtps://… or smtp://…?tls=required (or --smtp-insecure-auth to send them in the clear on purpose)"
    )]
    InsecureAuth(String),
    #[error("outreach.from_address {0:?}: expected an address like \"Shop <news@example.com>\"")]
    BadSender(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The URL as it may be shown: without any user or password.
pub fn redacted(url: &str) -> String {
    revgap_core::text::redact(&revgap_core::text::one_line(url), &[]).into_owned()
}

/// The user and password of an SMTP URL, as written and as lettre decodes them, to redact
/// from what a relay answers.
fn credentials(url: &str) -> Vec<String> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    [Some(parsed.username()), parsed.password()]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .flat_map(|raw| {
            let decoded = percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned();
            [raw.to_string(), decoded]
        })
        .collect()
}

/// Whether a relay URL sends credentials over a connection that is not encrypted: `smtp://`
/// with a user and no `tls=required` (lettre's default there is no TLS; `opportunistic` sends
/// them in the clear when the relay does not offer STARTTLS).
pub fn sends_credentials_in_the_clear(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let has_credentials = !parsed.username().is_empty() || parsed.password().is_some();
    let required_tls = parsed
        .query_pairs()
        .any(|(key, value)| key == "tls" && value == "required");
    has_credentials && parsed.scheme() == "smtp" && !required_tls
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
/// outreach settings say (sender, unsubscribe link). Credentials go only over TLS unless
/// `insecure_auth`.
pub fn send(
    ledger: &mut Ledger,
    campaign_id: i64,
    url: &str,
    insecure_auth: bool,
    policy: &SendPolicy,
) -> Result<Outcome, SmtpError> {
    if sends_credentials_in_the_clear(url) && !insecure_auth {
        return Err(SmtpError::InsecureAuth(redacted(url)));
    }
    let campaign = ledger.campaign(campaign_id)?;
    let outreach = &campaign.outreach();
    let from: lettre::message::Mailbox = outreach
        .from_address
        .parse()
        .map_err(|_| SmtpError::BadSender(outreach.from_address.clone()))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let transport = SmtpTransport::from_url(url)
        .map_err(|_| SmtpError::BadUrl(redacted(url)))?
        .timeout(Some(policy.retry.timeout))
        .build();
    let credentials = credentials(url);
    let secrets: Vec<&str> = credentials.iter().map(String::as_str).collect();
    let clean = |text: &str| {
        revgap_core::text::redact(&revgap_core::text::one_line(text), &secrets).into_owned()
    };
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
    super::deliver(
        ledger,
        campaign_id,
        due,
        policy,
        &mut outcome,
        |due, _timeout| {
            let member = due.member;
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
                        .subject(due.draft.subject.clone().unwrap_or_default())
                        // The action's key: a relay or inbox can tell a re-sent message by it.
                        .message_id(Some(format!("<{}@revgap.invalid>", due.key)))
                        .raw_header(HeaderValue::new(
                            HeaderName::new_from_ascii_str("List-Unsubscribe"),
                            format!("<{link}>"),
                        ))
                        .raw_header(HeaderValue::new(
                            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                            "List-Unsubscribe=One-Click".into(),
                        ))
                        .header(ContentType::TEXT_PLAIN)
                        .body(due.draft.text.replace(UNSUBSCRIBE, &link))
                        .map_err(|e| format!("message: {e}"))
                });
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    return Attempt::Refused {
                        status: None,
                        error: clean(&error),
                    };
                }
            };
            match transport.send(&message) {
                Ok(_) => Attempt::Delivered { status: None },
                Err(error) => {
                    // A relay may echo what it was sent, credentials included: redacted.
                    let error_text = clean(&super::webhook::error_chain(&error));
                    if error.is_permanent() {
                        Attempt::Refused {
                            status: None,
                            error: error_text,
                        }
                    } else {
                        Attempt::Transient {
                            status: None,
                            error: error_text,
                            wait: None,
                        }
                    }
                }
            }
        },
    )?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        assert_eq!(
            redacted("smtps://user:s3cret@mail.example.com:465"),
            "smtps://[redacted]@mail.example.com:465"
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
