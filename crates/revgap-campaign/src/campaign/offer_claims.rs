//! What a draft offers, read for meaning: percentages, amounts in any currency word or symbol,
//! discounts, free items, free delivery and multi-buys, in digits or in words, in English,
//! Spanish and French. The draft checker rejects every offer that is not the recipient's
//! catalog offer: its own text, or the same kind and value ("15 percent off" for a 15 % offer).
//! A detector errs towards finding an offer: a draft wrongly held back falls back to the
//! template; a wrong offer that reaches a customer is a promise the shop must keep.
//!
//! Owns the offer vocabulary and the reading; uses only `config::Offer`.

use revgap_core::config::Offer;

/// One offer the text makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub kind: ClaimKind,
    /// Where it is, in characters of the text.
    pub span: std::ops::Range<usize>,
    /// The words that make it, as written.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClaimKind {
    Percent(f64),
    /// An amount of money; `family` is the currency it names ("usd", "eur", …), `None` when it
    /// names none ("save 20").
    Amount {
        value: f64,
        family: Option<&'static str>,
    },
    /// A discount, coupon or sale without a number.
    Discount,
    Free,
    Multibuy,
}

/// A word, number or symbol of the text.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    span: std::ops::Range<usize>,
    number: Option<f64>,
    /// The number was written in words ("ninety"), not digits.
    in_words: bool,
    /// Joined to the token before by a hyphen ("stress-free", "quatre-vingt").
    hyphened: bool,
}

/// Symbols and words that name a currency, by family.
const CURRENCIES: &[(&str, &str)] = &[
    ("$", "usd"),
    ("us$", "usd"),
    ("usd", "usd"),
    ("dollar", "usd"),
    ("dollars", "usd"),
    ("buck", "usd"),
    ("bucks", "usd"),
    ("dólar", "usd"),
    ("dólares", "usd"),
    ("dolar", "usd"),
    ("dolares", "usd"),
    ("cent", "usd"),
    ("cents", "usd"),
    ("€", "eur"),
    ("eur", "eur"),
    ("euro", "eur"),
    ("euros", "eur"),
    ("£", "gbp"),
    ("gbp", "gbp"),
    ("pound", "gbp"),
    ("pounds", "gbp"),
    ("quid", "gbp"),
    ("libra", "gbp"),
    ("libras", "gbp"),
    ("pence", "gbp"),
    ("peso", "mxn"),
    ("pesos", "mxn"),
    ("mxn", "mxn"),
    ("ars", "ars"),
    ("clp", "clp"),
    ("cop", "cop"),
    ("centavo", "mxn"),
    ("centavos", "mxn"),
    ("¥", "jpy"),
    ("yen", "jpy"),
    ("jpy", "jpy"),
    ("₹", "inr"),
    ("inr", "inr"),
    ("rupee", "inr"),
    ("rupees", "inr"),
    ("franc", "chf"),
    ("francs", "chf"),
    ("chf", "chf"),
    ("cad", "cad"),
    ("aud", "aud"),
    ("brl", "brl"),
    ("r$", "brl"),
    ("₩", "krw"),
    ("₽", "rub"),
    ("¢", "usd"),
    ("₱", "php"),
    ("céntimo", "eur"),
    ("céntimos", "eur"),
    ("centime", "eur"),
    ("centimes", "eur"),
];

/// Words that make a percentage of the number before them ("per cent", "por ciento" and
/// "pour cent" are read as their last word after "per", "por", "pour").
const PERCENT_WORDS: &[&str] = &[
    "%",
    "percent",
    "pct",
    "porciento",
    "pourcent",
    "pourcents",
    "percentage",
];
const PER_WORDS: &[&str] = &["per", "por", "pour"];
const CENT_AFTER_PER: &[&str] = &["cent", "ciento", "cents", "cento"];

/// Words that make a number nearby an offer ("save 20", "20 off", "descuento de 20").
const DISCOUNT_WORDS: &[&str] = &[
    "off",
    "discount",
    "discounts",
    "discounted",
    "save",
    "saves",
    "saving",
    "savings",
    "rebate",
    "rebates",
    "coupon",
    "coupons",
    "voucher",
    "vouchers",
    "promo",
    "promocode",
    "credit",
    "credits",
    "cashback",
    "deal",
    "deals",
    "sale",
    "clearance",
    "markdown",
    "reduced",
    "reduction",
    "descuento",
    "descuentos",
    "rebaja",
    "rebajas",
    "rebajado",
    "ahorra",
    "ahorre",
    "ahorro",
    "ahorros",
    "cupón",
    "cupon",
    "oferta",
    "ofertas",
    "promoción",
    "promocion",
    "réduction",
    "remise",
    "rabais",
    "soldes",
    "économisez",
    "economisez",
    "économie",
    "ristourne",
];
/// Discount words that are an offer on their own, number or not.
const DISCOUNT_ALONE: &[&str] = &[
    "discount",
    "discounts",
    "discounted",
    "rebate",
    "coupon",
    "coupons",
    "voucher",
    "vouchers",
    "promocode",
    "cashback",
    "clearance",
    "markdown",
    "descuento",
    "descuentos",
    "rebaja",
    "rebajas",
    "rebajado",
    "cupón",
    "cupon",
    "promoción",
    "promocion",
    "réduction",
    "remise",
    "rabais",
    "soldes",
    "ristourne",
];
/// Words of "free" (an item, delivery or anything at no cost).
const FREE_WORDS: &[&str] = &[
    "free",
    "freebie",
    "freebies",
    "gratis",
    "gratuit",
    "gratuite",
    "gratuits",
    "gratuites",
    "gratuito",
    "gratuita",
    "gratuitos",
    "gratuitas",
    "complimentary",
    "offert",
    "offerte",
    "offerts",
    "offertes",
    "regalo",
    "regalamos",
    "obsequio",
    "cadeau",
    "cadeaux",
];
/// Phrases at no cost, and multi-buys, as token sequences.
const FREE_PHRASES: &[&[&str]] = &[
    &["on", "the", "house"],
    &["no", "charge"],
    &["no", "cost"],
    &["sin", "costo"],
    &["sin", "coste"],
    &["sin", "cargo"],
    &["sans", "frais"],
    &["de", "regalo"],
    &["on", "us"],
];
const MULTIBUY_PHRASES: &[&[&str]] = &[
    &["bogo"],
    &["buy", "one", "get", "one"],
    &["buy", "1", "get", "1"],
    &["buy", "two", "get", "one"],
    &["buy", "2", "get", "1"],
    &["two", "for", "one"],
    &["2", "for", "1"],
    &["3", "for", "2"],
    &["three", "for", "two"],
    &["2", "x", "1"],
    &["2x1"],
    &["dos", "por", "uno"],
    &["2", "por", "1"],
    &["deux", "pour", "un"],
    &["2", "pour", "1"],
    &["lleva", "dos", "paga", "uno"],
    &["compra", "uno", "lleva", "otro"],
];
/// "Free" that is not an offer: "feel free", "free time", "stress-free" (a hyphened "free").
const NOT_FREE_AFTER: &[&str] = &["time", "will", "spirit"];
const NOT_FREE_BEFORE: &[&str] = &["feel", "feeling"];
/// Fractions of a price ("half price", "moitié prix", "1/2 off").
const FRACTIONS: &[(&str, f64)] = &[
    ("half", 50.0),
    ("½", 50.0),
    ("mitad", 50.0),
    ("medio", 50.0),
    ("moitié", 50.0),
    ("moitie", 50.0),
    ("third", 33.0),
    ("quarter", 25.0),
    ("¼", 25.0),
    ("¾", 75.0),
];
const PRICE_WORDS: &[&str] = &[
    "price",
    "prices",
    "precio",
    "precios",
    "prix",
    "off",
    "discount",
    "descuento",
    "réduction",
    "tarif",
    "cost",
];

/// Number words (English, Spanish, French) and their values; "hundred", "cien(to)" and
/// "cent" multiply, "vingt" after "quatre" makes eighty.
const NUMBER_WORDS: &[(&str, f64)] = &[
    ("zero", 0.0),
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("thirteen", 13.0),
    ("fourteen", 14.0),
    ("fifteen", 15.0),
    ("sixteen", 16.0),
    ("seventeen", 17.0),
    ("eighteen", 18.0),
    ("nineteen", 19.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("fourty", 40.0),
    ("fifty", 50.0),
    ("sixty", 60.0),
    ("seventy", 70.0),
    ("eighty", 80.0),
    ("ninety", 90.0),
    ("hundred", 100.0),
    ("cero", 0.0),
    ("uno", 1.0),
    ("una", 1.0),
    ("dos", 2.0),
    ("tres", 3.0),
    ("cuatro", 4.0),
    ("cinco", 5.0),
    ("seis", 6.0),
    ("siete", 7.0),
    ("ocho", 8.0),
    ("nueve", 9.0),
    ("diez", 10.0),
    ("doce", 12.0),
    ("trece", 13.0),
    ("catorce", 14.0),
    ("quince", 15.0),
    ("dieciséis", 16.0),
    ("dieciseis", 16.0),
    ("diecisiete", 17.0),
    ("dieciocho", 18.0),
    ("diecinueve", 19.0),
    ("veinte", 20.0),
    ("veinticinco", 25.0),
    ("treinta", 30.0),
    ("cuarenta", 40.0),
    ("cincuenta", 50.0),
    ("sesenta", 60.0),
    ("setenta", 70.0),
    ("ochenta", 80.0),
    ("noventa", 90.0),
    ("cien", 100.0),
    ("ciento", 100.0),
    ("un", 1.0),
    ("une", 1.0),
    ("deux", 2.0),
    ("trois", 3.0),
    ("quatre", 4.0),
    ("cinq", 5.0),
    ("sept", 7.0),
    ("huit", 8.0),
    ("neuf", 9.0),
    ("dix", 10.0),
    ("onze", 11.0),
    ("douze", 12.0),
    ("treize", 13.0),
    ("quatorze", 14.0),
    ("quinze", 15.0),
    ("seize", 16.0),
    ("vingt", 20.0),
    ("vingts", 20.0),
    ("trente", 30.0),
    ("quarante", 40.0),
    ("cinquante", 50.0),
    ("soixante", 60.0),
    ("cent", 100.0),
];
/// Joined between number words without changing the value.
const NUMBER_JOINERS: &[&str] = &["and", "y", "et"];

fn is_symbol(c: char) -> bool {
    matches!(
        c,
        '%' | '$' | '€' | '£' | '¥' | '₹' | '₩' | '₽' | '¢' | '₱' | '½' | '¼' | '¾' | '/'
    )
}

/// The text's tokens, lower-cased, with character spans (hyphens mark the token after).
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    let mut hyphen_at = None;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let hyphened = hyphen_at == Some(start);
        let mut push = |text: String, end: usize, number: Option<f64>| {
            tokens.push(Token {
                text,
                span: start..end,
                number,
                in_words: false,
                hyphened,
            });
        };
        if c.is_ascii_digit() {
            // 1,234.50 or 1.234,50 or 15: digits with inner separators.
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || (matches!(chars[i], '.' | ',')
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            let number = parse_number(&raw);
            push(raw, i, number);
        } else if c.is_alphabetic() {
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            let mut word: String = chars[start..i].iter().collect();
            // "r$" and "us$" are one currency.
            if matches!(word.as_str(), "r" | "us") && chars.get(i) == Some(&'$') {
                i += 1;
                word.push('$');
            }
            push(word, i, None);
        } else if c == '-' {
            i += 1;
            if tokens.last().is_some_and(|t| t.span.end == start) {
                hyphen_at = Some(i);
            }
        } else if is_symbol(c) {
            i += 1;
            push(c.to_string(), i, None);
        } else {
            i += 1;
        }
    }
    words_to_numbers(tokens)
}

/// "1,234.50" → 1234.5; "1.234,50" → 1234.5; "12,5" → 12.5.
fn parse_number(raw: &str) -> Option<f64> {
    let last_separator = raw.rfind(['.', ',']);
    let normalised = match last_separator {
        Some(at)
            if raw.len() - at - 1 == 3
                && raw[..at].len() <= 3
                && !raw[..at].contains(['.', ',']) =>
        {
            // One separator before three digits: thousands ("1,000", "1.000").
            raw.replace(['.', ','], "")
        }
        Some(at) => {
            let (whole, fraction) = raw.split_at(at);
            format!("{}.{}", whole.replace(['.', ','], ""), &fraction[1..])
        }
        None => raw.to_string(),
    };
    normalised.parse().ok()
}

fn number_word(text: &str) -> Option<f64> {
    NUMBER_WORDS
        .iter()
        .find(|(word, _)| *word == text)
        .map(|(_, value)| *value)
}

/// Runs of number words become one number token ("ninety", "cincuenta y cinco",
/// "quatre-vingt-dix"); "cent" and "ciento" after "pour", "per" or "por" stay words (a
/// percentage, not a hundred).
fn words_to_numbers(tokens: Vec<Token>) -> Vec<Token> {
    let value_at = |i: usize| -> Option<f64> {
        let token = tokens.get(i)?;
        let after_per = i > 0 && PER_WORDS.contains(&tokens[i - 1].text.as_str());
        if after_per && CENT_AFTER_PER.contains(&token.text.as_str()) {
            return None;
        }
        number_word(&token.text)
    };
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let Some(first) = value_at(i) else {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        };
        let start = tokens[i].span.start;
        let mut end = tokens[i].span.end;
        let mut current = first;
        let mut previous = first;
        let mut j = i + 1;
        loop {
            // A joiner ("and", "y", "et") counts only between two number words.
            let mut k = j;
            while k < tokens.len() && NUMBER_JOINERS.contains(&tokens[k].text.as_str()) {
                k += 1;
            }
            let Some(next) = value_at(k) else {
                break;
            };
            if next == 100.0 {
                current = current.max(1.0) * 100.0;
            } else if next == 20.0 && previous == 4.0 {
                // quatre-vingt(s): four twenties.
                current += 76.0;
            } else {
                current += next;
            }
            previous = next;
            end = tokens[k].span.end;
            j = k + 1;
        }
        out.push(Token {
            text: format!("{current}"),
            span: start..end,
            number: Some(current),
            in_words: true,
            hyphened: tokens[i].hyphened,
        });
        i = j;
    }
    out
}

/// Whether `token` is the phrase word `word` (numbers match by value: "two" is "2").
fn word_matches(token: &Token, word: &str) -> bool {
    token.text == word
        || token.number.is_some()
            && (word.parse::<f64>().ok().or_else(|| number_word(word)) == token.number)
}

fn currency(token: &Token) -> Option<&'static str> {
    CURRENCIES
        .iter()
        .find(|(word, _)| *word == token.text)
        .map(|(_, family)| *family)
}

fn is_in(token: Option<&Token>, words: &[&str]) -> bool {
    token.is_some_and(|t| words.contains(&t.text.as_str()))
}

/// Every offer `text` makes.
pub fn claims(text: &str) -> Vec<Claim> {
    let tokens = tokens(text);
    let chars: Vec<char> = text.chars().collect();
    let snippet = |span: &std::ops::Range<usize>| -> String {
        chars[span.start..span.end.min(chars.len())]
            .iter()
            .collect::<String>()
    };
    let mut found: Vec<Claim> = Vec::new();
    let mut push = |kind: ClaimKind, from: usize, to: usize| {
        let span = tokens[from].span.start..tokens[to].span.end;
        found.push(Claim {
            kind,
            text: snippet(&span),
            span,
        });
    };
    let at = |i: usize| tokens.get(i);
    for (i, token) in tokens.iter().enumerate() {
        if let Some(value) = token.number {
            // Percent: "15%", "15 percent", "15 per cent", "15 por ciento", "15 pour cent".
            if is_in(at(i + 1), PERCENT_WORDS) {
                push(ClaimKind::Percent(value), i, i + 1);
                continue;
            }
            if is_in(at(i + 1), PER_WORDS) && is_in(at(i + 2), CENT_AFTER_PER) {
                push(ClaimKind::Percent(value), i, i + 2);
                continue;
            }
            // A fraction written with digits: "1/2 price".
            if at(i + 1).is_some_and(|t| t.text == "/")
                && let Some(denominator) = at(i + 2).and_then(|t| t.number)
                && denominator > 0.0
                && is_in(at(i + 3), PRICE_WORDS)
            {
                push(ClaimKind::Percent(value / denominator * 100.0), i, i + 3);
                continue;
            }
            // Amount: "$20", "€ 50", "EUR 50", "50 EUR", "50€", "twenty dollars".
            let before = i.checked_sub(1).and_then(&at).and_then(currency);
            let after = at(i + 1).and_then(currency);
            if let Some(family) = before.or(after) {
                let (from, to) = if before.is_some() {
                    (i - 1, i)
                } else {
                    (i, i + 1)
                };
                push(
                    ClaimKind::Amount {
                        value,
                        family: Some(family),
                    },
                    from,
                    to,
                );
                continue;
            }
            // A number beside a discount word: "20 off", "save 20", "descuento de 20" (not
            // an article: "una oferta").
            if token.in_words && value <= 1.0 {
                continue;
            }
            let near = (i.saturating_sub(2)..i)
                .chain(i + 1..=i + 2)
                .find(|&n| is_in(at(n), DISCOUNT_WORDS));
            if let Some(n) = near {
                push(
                    ClaimKind::Amount {
                        value,
                        family: None,
                    },
                    i.min(n),
                    i.max(n),
                );
            }
            continue;
        }
        let word = token.text.as_str();
        if let Some((_, share)) = FRACTIONS.iter().find(|(w, _)| *w == word) {
            let near = (i + 1..=i + 3).find(|&n| is_in(at(n), PRICE_WORDS));
            if let Some(n) = near {
                push(ClaimKind::Percent(*share), i, n);
                continue;
            }
        }
        if FREE_WORDS.contains(&word) {
            let idiom = word == "free"
                && (is_in(at(i + 1), NOT_FREE_AFTER)
                    || i.checked_sub(1)
                        .is_some_and(|b| is_in(at(b), NOT_FREE_BEFORE)));
            if !token.hyphened && !idiom {
                push(ClaimKind::Free, i, i);
            }
            continue;
        }
        if DISCOUNT_ALONE.contains(&word) {
            push(ClaimKind::Discount, i, i);
            continue;
        }
    }
    // Phrases: at no cost ("on the house"), multi-buys ("two for one", "2x1", "BOGO").
    for i in 0..tokens.len() {
        for (phrases, kind) in [
            (FREE_PHRASES, ClaimKind::Free),
            (MULTIBUY_PHRASES, ClaimKind::Multibuy),
        ] {
            let found_here = phrases.iter().find(|phrase| {
                phrase
                    .iter()
                    .enumerate()
                    .all(|(k, w)| at(i + k).is_some_and(|t| word_matches(t, w)))
            });
            if let Some(phrase) = found_here {
                push(kind, i, i + phrase.len() - 1);
            }
        }
    }
    found
}

/// The currency family an offer's description names, if any.
fn family_of(description: &str) -> Option<&'static str> {
    tokens(description).iter().find_map(currency)
}

/// The offers `text` makes that `offer` (the recipient's catalog offer, if any) does not
/// cover, each as its words.
pub fn uncovered(text: &str, offer: Option<&Offer>) -> Vec<String> {
    let lower: Vec<char> = text
        .chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect();
    // Where the offer's own text stands in the draft.
    let own: Vec<std::ops::Range<usize>> = match offer {
        Some(offer) => {
            let needle: Vec<char> = offer
                .description
                .chars()
                .map(|c| c.to_lowercase().next().unwrap_or(c))
                .collect();
            (0..lower.len())
                .filter(|&start| !needle.is_empty() && lower[start..].starts_with(&needle))
                .map(|start| start..start + needle.len())
                .collect()
        }
        None => Vec::new(),
    };
    let same = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let inside = |claim: &Claim| {
        own.iter()
            .any(|r| r.start <= claim.span.start && claim.span.end <= r.end)
    };
    let matches_offer = |claim: &Claim| {
        offer.is_some_and(|offer| match &claim.kind {
            ClaimKind::Percent(value) => offer.kind == "percent" && same(*value, offer.value),
            ClaimKind::Amount { value, family } => {
                offer.kind == "amount"
                    && same(*value, offer.value)
                    && (family.is_none()
                        || family_of(&offer.description).is_none_or(|f| Some(f) == *family))
            }
            ClaimKind::Discount | ClaimKind::Free | ClaimKind::Multibuy => false,
        })
    };
    let found = claims(text);
    let covered: Vec<bool> = found
        .iter()
        .map(|claim| inside(claim) || matches_offer(claim))
        .collect();
    // A discount word is the offer's own when it stands beside the offer's value ("15 % de
    // descuento", "a discount of 15 percent"); alone it promises something else.
    const BESIDE: usize = 16;
    let beside_covered = |claim: &Claim| {
        found.iter().zip(&covered).any(|(other, ok)| {
            *ok && !matches!(other.kind, ClaimKind::Discount)
                && claim.span.start <= other.span.end + BESIDE
                && other.span.start <= claim.span.end + BESIDE
        })
    };
    found
        .iter()
        .zip(&covered)
        .filter(|(claim, ok)| {
            !(**ok || matches!(claim.kind, ClaimKind::Discount) && beside_covered(claim))
        })
        .map(|(claim, _)| claim.text.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use revgap_core::config::OutreachSettings;

    fn catalog() -> Vec<Offer> {
        OutreachSettings::default().offers
    }

    /// Offers a model might write that no catalog offer covers, in digits and words, in
    /// English, Spanish and French, in any currency word or symbol: each must be found,
    /// whichever catalog offer the recipient has (or none).
    const ADVERSARIAL: [&str; 64] = [
        "take ninety percent off everything, or EUR 50 off and free delivery for a year",
        "Enjoy 50% off your next basket.",
        "Enjoy 50 % off today",
        "fifty percent off all produce",
        "seventy-five per cent off",
        "twenty five percent discount",
        "a 20pct discount",
        "half price on everything",
        "half off your order",
        "1/2 price weekend",
        "everything at ½ price",
        "$20 off your next order",
        "$ 20 credit on your account",
        "USD 20 back",
        "20 dollars off",
        "twenty bucks off",
        "€50 voucher",
        "50€ for you",
        "50 € de réduction",
        "EUR 25 reward",
        "25 euros off",
        "£10 off",
        "10 pounds off your shop",
        "ten quid off",
        "100 pesos de descuento",
        "MXN 200 off",
        "JPY 1,000 off",
        "₹500 cashback",
        "R$ 30 de desconto",
        "free delivery for a year",
        "free shipping on every order",
        "a free gift with your order",
        "claim your freebie",
        "complimentary dessert",
        "delivery is on the house",
        "no charge for delivery",
        "buy one get one free",
        "BOGO on snacks",
        "two for one on wine",
        "2 for 1 pizzas",
        "2x1 en bebidas",
        "save 30 on your next visit",
        "save up to 40%",
        "use this coupon at checkout",
        "here is a voucher for you",
        "cashback on everything",
        "40% de descuento en tu próxima compra",
        "cuarenta por ciento de descuento",
        "noventa por ciento en todo",
        "envío gratis durante un año",
        "un regalo con tu pedido",
        "dos por uno en frutas",
        "veinte euros de descuento",
        "50 pesos menos en tu compra con cupón",
        "livraison gratuite pendant un an",
        "cinquante pour cent de réduction",
        "quatre-vingt-dix pour cent sur tout",
        "vingt euros offerts",
        "un cadeau avec votre commande",
        "deux pour un sur les fruits",
        "une remise exceptionnelle",
        "30 % de remise",
        "Enjoy 10 percent off plus free delivery",
        "get 15% off and a $5 credit",
    ];

    #[test]
    fn every_adversarial_offer_is_caught_whatever_the_catalog_offer() {
        let catalog = catalog();
        let mut offers: Vec<Option<&Offer>> = catalog.iter().map(Some).collect();
        offers.push(None);
        for phrase in ADVERSARIAL {
            for offer in &offers {
                let found = uncovered(phrase, *offer);
                assert!(
                    !found.is_empty(),
                    "{phrase:?} passed with {:?}",
                    offer.map(|o| &o.id)
                );
            }
        }
    }

    #[test]
    fn the_headline_case_names_each_offer() {
        let found = uncovered(
            "take ninety percent off everything, or EUR 50 off and free delivery for a year",
            catalog().first(),
        );
        assert_eq!(found, ["ninety percent", "EUR 50", "free"], "{found:?}");
    }

    #[test]
    fn catalog_offers_pass_as_written_and_by_kind_and_value() {
        let catalog = catalog();
        let (winback, retain, ret5) = (&catalog[0], &catalog[1], &catalog[2]);
        for (text, offer) in [
            (
                "Here is 15% off your next order: https://shop.example.com",
                winback,
            ),
            ("Enjoy 15 percent off when you come back.", winback),
            (
                "Quince por ciento de descuento en tu próximo pedido.",
                winback,
            ),
            ("15 % de réduction sur votre prochaine commande.", winback),
            ("A thank-you: 10% off your next order.", retain),
            ("$5 off your next order is waiting.", ret5),
            ("A discount of 15% is waiting for you.", winback),
        ] {
            assert_eq!(uncovered(text, Some(offer)), Vec::<String>::new(), "{text}");
        }
        // Another offer's value, or another currency, is not this one.
        assert!(!uncovered("Enjoy 10% off", Some(winback)).is_empty());
        assert!(!uncovered("€5 off your next order", Some(ret5)).is_empty());
        assert!(!uncovered("Your discount is waiting", None).is_empty());
        // A discount word away from the offer's value promises more than the catalog does.
        assert!(!uncovered("Your discount is waiting, and 15% off too.", Some(winback)).is_empty());
    }

    #[test]
    fn ordinary_words_and_numbers_are_not_offers() {
        for text in [
            "It has been a while since your last visit to Northwind Market, and we would love to see you again.",
            "Feel free to browse what's new: https://shop.example.com/welcome-back",
            "Open 7 days a week, 24 hours a day, since 2019.",
            "Our stress-free returns and sugar-free treats.",
            "Una sorpresa te espera en la tienda.",
            "Nous avons hâte de vous revoir.",
            "Once you are back, enjoy the new bakery.",
            "We have 3 new aisles and 12 local farms.",
        ] {
            assert_eq!(uncovered(text, None), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn numbers_in_words_read_as_their_values() {
        let value = |text: &str| {
            tokens(text)
                .into_iter()
                .find_map(|t| t.number)
                .unwrap_or(f64::NAN)
        };
        assert_eq!(value("ninety-nine"), 99.0);
        assert_eq!(value("cincuenta y cinco"), 55.0);
        assert_eq!(value("quatre-vingt-dix"), 90.0);
        assert_eq!(value("soixante-dix"), 70.0);
        assert_eq!(value("one hundred and twenty"), 120.0);
        assert_eq!(value("1,000"), 1000.0);
        assert_eq!(value("1.234,50"), 1234.5);
        assert_eq!(value("12,5"), 12.5);
    }
}
