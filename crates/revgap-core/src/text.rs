//! Untrusted text on its way to a person: model output, customer ids and attributes, server
//! error bodies. Owns the one definition of an unsafe character (controls, escapes, bidi
//! overrides), the stripping every human-facing output applies, CSV formula neutralising, and
//! the redaction of secrets.

use std::borrow::Cow;

/// Characters that must never reach a terminal, a report or a spreadsheet as they are: C0 and
/// C1 controls (ESC among them), DEL, line/paragraph separators, the bidi controls that
/// reorder what a reader sees (U+202E "RIGHT-TO-LEFT OVERRIDE" and friends), and the
/// invisible format characters that hide text from a reader or a check (zero-width spaces and
/// joiners, word joiners, the byte-order mark, soft hyphens, tag characters, fillers): a key
/// echoed with U+200B between its characters must still read as the key.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fffb}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// Removes ANSI escape sequences (CSI, OSC and two-character escapes) and every unsafe
/// character except newline; a tab becomes a space.
pub fn strip_control(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte in @..~.
                    for next in chars.by_ref() {
                        if ('@'..='~').contains(&next) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    // OSC: until BEL or ESC \.
                    while let Some(next) = chars.next() {
                        if next == '\u{7}' {
                            break;
                        }
                        if next == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c if is_unsafe_char(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether `text` is a sender address an SMTP relay accepts: `local@domain` or
/// `Display Name <local@domain>`, the local part without spaces or angle brackets, the domain
/// dot-separated labels of letters, digits and hyphens.
pub fn is_mailbox(text: &str) -> bool {
    let text = text.trim();
    let address = match (text.rfind('<'), text.strip_suffix('>')) {
        (Some(open), Some(inner)) => {
            let name = text[..open].trim();
            if name.contains(['<', '>']) || name.chars().any(is_unsafe_char) {
                return false;
            }
            &inner[open + 1..]
        }
        (None, None) => text,
        _ => return false,
    };
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local.chars().any(|c| {
            c.is_whitespace() || is_unsafe_char(c) || matches!(c, '<' | '>' | '@' | ',' | ';')
        });
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// `text` in at most `width` characters: a longer one is cut and ends in an ellipsis, so a cut
/// value never passes for another.
pub fn cut_to(text: &str, width: usize) -> Cow<'_, str> {
    if text.chars().count() <= width {
        Cow::Borrowed(text)
    } else {
        let mut kept: String = text.chars().take(width.saturating_sub(1)).collect();
        kept.push('…');
        Cow::Owned(kept)
    }
}

/// A field for one line of output (ids, attributes): unsafe characters removed, line breaks
/// turned into spaces. Borrows when there is nothing to change, the common case.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(strip_control(text).replace('\n', " "))
}

/// A text cell for CSV: one line, and a cell a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-` or `@`) gets a leading apostrophe (OWASP's advice), so it shows as text.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    neutralise_formula(one_line(text))
}

/// As [`csv_cell`] for multi-line text (an email body): line breaks kept (CSV quotes them),
/// every other unsafe character stripped, formulas neutralised.
pub fn csv_text_cell(text: &str) -> Cow<'_, str> {
    let kept: String = text
        .chars()
        .filter(|c| *c == '\n' || !is_unsafe_char(*c))
        .collect();
    neutralise_formula(Cow::Owned(kept))
}

/// A phone number cell: kept as written when it is one (digits, spaces, `+ - ( ) .`: no
/// function call, and a sending platform needs "+1-202-555-0100" as is), else as
/// [`csv_cell`].
pub fn csv_phone_cell(text: &str) -> Cow<'_, str> {
    let phone = text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone {
        Cow::Borrowed(text)
    } else {
        csv_cell(text)
    }
}

fn neutralise_formula(cell: Cow<'_, str>) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) {
        return Cow::Owned(format!("'{cell}"));
    }
    cell
}

/// `$1,234.56`, with a leading minus for negatives (rounded to cents for display only).
pub fn money(value: f64) -> String {
    in_hundredths(value, "$", "")
}

/// `1,234` from 1234.
pub fn group_thousands(whole: u128) -> String {
    let mut out = String::new();
    push_grouped(&mut out, whole);
    out
}

/// Appends `whole` with a comma between groups of three digits.
fn push_grouped(out: &mut String, whole: u128) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(whole);
    out.reserve(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
}

/// `value` rounded to hundredths as `-{prefix}1,234.56{suffix}` (the minus only when it
/// does not round to zero), built in one string: reports write one per record.
fn in_hundredths(value: f64, prefix: &str, suffix: &str) -> String {
    let hundredths = (value.abs() * 100.0).round() as u128;
    let mut out = String::with_capacity(prefix.len() + suffix.len() + 24);
    if value < 0.0 && hundredths > 0 {
        out.push('-');
    }
    out.push_str(prefix);
    push_grouped(&mut out, hundredths / 100);
    out.push('.');
    let rest = (hundredths % 100) as u8;
    out.push(char::from(b'0' + rest / 10));
    out.push(char::from(b'0' + rest % 10));
    out.push_str(suffix);
    out
}

/// What the spend values of a dataset count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueUnit {
    /// Money in the data's currency (shown as `$1,234.56`).
    #[default]
    Currency,
    /// Purchase counts (`--count-only`, or a log without amounts): never shown as money.
    Purchases,
}

impl ValueUnit {
    /// A value for people: `$12.50`, or `12.50 purchases`.
    pub fn amount(self, value: f64) -> String {
        match self {
            Self::Currency => money(value),
            Self::Purchases => in_hundredths(value, "", " purchases"),
        }
    }
}

/// What replaces a secret in any text revgap shows, logs, caches or exports.
pub const REDACTED: &str = "[redacted]";

/// Replaces every occurrence of each secret (of 4 characters or more), the credentials of any
/// URL (`scheme://user:password@host`), and anything that looks like a bearer token or an
/// OpenAI-style key, with [`REDACTED`]. Invisible and control characters are removed first, so
/// a secret cannot hide behind a zero-width space.
pub fn redact<'a>(text: &'a str, secrets: &[&str]) -> Cow<'a, str> {
    let mut out = if text.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
        Cow::Owned(strip_control(text))
    } else {
        Cow::Borrowed(text)
    };
    if let Cow::Owned(cleaned) = redact_url_credentials(&out) {
        out = Cow::Owned(cleaned);
    }
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = Cow::Owned(out.replace(secret, REDACTED));
        }
    }
    if looks_like_token_present(&out) {
        out = Cow::Owned(redact_token_shapes(&out));
    }
    out
}

/// True when `text` holds a secret, URL credentials or a token-shaped word, invisible
/// characters aside (checked before caching or export).
pub fn contains_secret(text: &str, secrets: &[&str]) -> bool {
    let text = strip_control(text);
    secrets
        .iter()
        .any(|secret| secret.len() >= 4 && text.contains(secret))
        || looks_like_token_present(&text)
        || matches!(redact_url_credentials(&text), Cow::Owned(_))
}

/// `scheme://user:password@host…` with the part before `@` replaced by [`REDACTED`], wherever
/// a URL appears in `text`.
pub fn redact_url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the path, query, fragment, or anything a URL cannot hold.
        let end = after
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '"' | '\'' | '<' | '>' | ')' | ']' | ',' | ';'
                ) || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) if at > 0 => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

fn looks_like_token_present(text: &str) -> bool {
    text.split(is_token_boundary).any(is_token_shaped)
        || text.to_ascii_lowercase().contains("bearer ")
}

fn is_token_boundary(c: char) -> bool {
    !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// `sk-…` keys of 20+ characters, and long runs that mix letters and digits like API tokens.
fn is_token_shaped(word: &str) -> bool {
    let long_mixed = word.len() >= 32
        && word.chars().any(|c| c.is_ascii_digit())
        && word.chars().any(|c| c.is_ascii_alphabetic());
    (word.starts_with("sk-") && word.len() >= 20) || long_mixed
}

fn redact_token_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut after_bearer = false;
    let flush = |word: &mut String, out: &mut String, after_bearer: &mut bool| {
        if word.is_empty() {
            return;
        }
        if is_token_shaped(word) || *after_bearer {
            out.push_str(REDACTED);
            *after_bearer = false;
        } else {
            *after_bearer = word.eq_ignore_ascii_case("bearer");
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if is_token_boundary(c) {
            flush(&mut word, &mut out, &mut after_bearer);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out, &mut after_bearer);
    out
}

/// Whether `url` is an https link whose host is one of `domains` or a subdomain of one.
pub fn link_allowed(url: &str, domains: &[String]) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if host.is_empty() || host.contains(['@', ':']) {
        return false;
    }
    domains.iter().any(|domain| {
        let domain = domain.to_ascii_lowercase();
        host == domain || host.ends_with(&format!(".{domain}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Money and purchase counts are the text `format!` makes of the rounded hundredths, over
    /// every scale and sign, zero, a half-cent and the infinities.
    #[test]
    fn amounts_equal_formatted_hundredths() {
        let reference = |value: f64, prefix: &str, suffix: &str| {
            let hundredths = (value.abs() * 100.0).round() as u128;
            let sign = if value < 0.0 && hundredths > 0 {
                "-"
            } else {
                ""
            };
            let whole = hundredths / 100;
            let digits = whole.to_string();
            let grouped: String = digits
                .chars()
                .enumerate()
                .flat_map(|(i, digit)| {
                    let comma = i > 0 && (digits.len() - i).is_multiple_of(3);
                    comma.then_some(',').into_iter().chain([digit])
                })
                .collect();
            format!("{sign}{prefix}{grouped}.{:02}{suffix}", hundredths % 100)
        };
        let mut values = crate::report::format::random_magnitudes(5, -4.0..13.0);
        values.extend([
            0.0,
            -0.0,
            0.005,
            -0.005,
            999.995,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]);
        for value in values {
            assert_eq!(money(value), reference(value, "$", ""), "{value}");
            assert_eq!(
                ValueUnit::Purchases.amount(value),
                reference(value, "", " purchases"),
                "{value}"
            );
        }
    }

    #[test]
    fn ansi_and_control_sequences_are_removed() {
        let raw = "Spend \u{1b}[31mfell\u{1b}[0m\u{7} by \u{1b}]0;owned\u{7}half.\u{1b}c\r";
        assert_eq!(strip_control(raw), "Spend fell by half.");
    }

    #[test]
    fn bidi_overrides_and_c1_controls_are_removed() {
        assert_eq!(one_line("abc\u{202e}fed\u{2066}x\u{85}y"), "abcfedxy");
        assert_eq!(one_line("two\nlines"), "two lines");
        assert!(matches!(one_line("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        // Phone numbers run nothing, and importers need them as written.
        assert_eq!(csv_phone_cell("+1-202-555-0100"), "+1-202-555-0100");
        assert_eq!(
            csv_phone_cell("-2+3+cmd|' /C calc'!A0"),
            "'-2+3+cmd|' /C calc'!A0"
        );
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\u{1b}[2J=1"), "'=1");
        assert_eq!(csv_cell("north"), "north");
    }

    #[test]
    fn secrets_and_token_shapes_are_redacted() {
        let key = "sk-test-0123456789abcdefSECRET";
        let text = format!("invalid key {key}; Authorization: Bearer abc.def");
        let clean = redact(&text, &[key]);
        assert!(!clean.contains(key), "{clean}");
        assert!(!clean.contains("abc.def"), "{clean}");
        assert!(clean.contains(REDACTED));
        assert!(contains_secret(&text, &[key]));
        assert!(!contains_secret("Spend fell by 40% to $12.50.", &[key]));
        // A short custom key is still removed when named.
        assert_eq!(redact("key=hunter22!", &["hunter22"]), "key=[redacted]!");
    }

    #[test]
    fn url_credentials_are_redacted_wherever_a_url_appears() {
        assert_eq!(
            redact("connect to http://user:pass@llm.local:8080/v1 failed", &[]),
            "connect to http://[redacted]@llm.local:8080/v1 failed"
        );
        assert_eq!(
            redact(
                "smtps://mailer:hunter2@mail.example.com (and https://a@b/c)",
                &[]
            ),
            "smtps://[redacted]@mail.example.com (and https://[redacted]@b/c)"
        );
        assert_eq!(
            redact("mail me at ann@example.com, see https://example.com/x", &[]),
            "mail me at ann@example.com, see https://example.com/x"
        );
        assert!(contains_secret("base http://u:p@h/v1", &[]));
        assert!(!contains_secret(
            "base http://h/v1 for ann@example.com",
            &[]
        ));
    }

    #[test]
    fn a_secret_cannot_hide_behind_invisible_characters() {
        let key = "sk-live-abcdefghijklmnop1234";
        let hidden: String = key
            .chars()
            .flat_map(|c| [c, '\u{200b}'])
            .chain("\u{2060}\u{feff}\u{00ad}".chars())
            .collect();
        let shown = format!("your key is {hidden}.");
        assert!(contains_secret(&shown, &[key]));
        let clean = redact(&shown, &[key]);
        assert_eq!(clean, "your key is [redacted].");
        // A zero-width joiner inside a word, a tag character: gone from any output.
        assert_eq!(one_line("a\u{200d}b\u{e0041}c"), "abc");
    }
}

#[cfg(test)]
mod mailbox_tests {
    use super::is_mailbox;

    #[test]
    fn sender_addresses() {
        for good in [
            "news@example.com",
            "Northwind Market <news@example.com>",
            "<news@mail.example.co.uk>",
            "a.b+tag@x-y.example",
        ] {
            assert!(is_mailbox(good), "{good}");
        }
        for bad in [
            "",
            "news",
            "news@",
            "@example.com",
            "two words@example.com",
            "Shop <news@example.com",
            "Shop news@example.com>",
            "news@exa mple.com",
            "news@-example.com",
            "news@example..com",
            "Sh<op <news@example.com>",
        ] {
            assert!(!is_mailbox(bad), "{bad}");
        }
    }
}
