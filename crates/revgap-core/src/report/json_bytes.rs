//! JSON written straight into a byte buffer, laid out byte for byte as `serde_json` lays it
//! out (compact, or pretty with two-space indents). The per-customer records of the JSON and
//! JSON-lines reports go through it: a million customers spend most of a report's time in
//! the serializer, and known keys written as literals, with no intermediate structs, maps or
//! strings, cost a fraction of that. `json::tests` checks the bytes against `serde_json`'s.

use serde::Serialize;

/// A JSON writer appending to `out`.
pub struct JsonBytes<'b> {
    out: &'b mut Vec<u8>,
    pretty: bool,
    /// Nesting depth (pretty indentation).
    depth: usize,
    /// Nothing written yet in the innermost object or array.
    first: bool,
}

impl<'b> JsonBytes<'b> {
    /// A writer whose values start at `depth` (pretty: the indentation of the enclosing
    /// document; compact ignores it).
    pub fn new(out: &'b mut Vec<u8>, pretty: bool, depth: usize) -> Self {
        Self {
            out,
            pretty,
            depth,
            first: true,
        }
    }

    #[inline(always)]
    fn newline_indent(&mut self) {
        self.out.push(b'\n');
        for _ in 0..self.depth {
            self.out.extend_from_slice(b"  ");
        }
    }

    /// Before an object key or an array element.
    #[inline(always)]
    fn separate(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        if self.pretty {
            self.newline_indent();
        }
        self.first = false;
    }

    #[inline(always)]
    pub fn begin_object(&mut self) {
        self.open(b'{');
    }

    #[inline(always)]
    pub fn end_object(&mut self) {
        self.close(b'}');
    }

    pub fn begin_array(&mut self) {
        self.open(b'[');
    }

    pub fn end_array(&mut self) {
        self.close(b']');
    }

    #[inline(always)]
    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
        self.first = true;
    }

    #[inline(always)]
    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        // An empty container stays on one line, as serde_json writes it.
        if self.pretty && !self.first {
            self.newline_indent();
        }
        self.out.push(bracket);
        self.first = false;
    }

    /// A key this program names: plain ASCII with nothing to escape, written as it is.
    #[inline(always)]
    pub fn key(&mut self, name: &'static str) {
        debug_assert!(
            name.bytes()
                .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b.is_ascii())
        );
        self.separate();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out
            .extend_from_slice(if self.pretty { b"\": " } else { b"\":" });
    }

    /// A key from the data (an attribute's column name): escaped.
    pub fn text_key(&mut self, name: &str) {
        self.separate();
        self.escaped(name);
        self.out
            .extend_from_slice(if self.pretty { b": " } else { b":" });
    }

    /// Before each element of an array.
    #[inline(always)]
    pub fn element(&mut self) {
        self.separate();
    }

    #[inline(always)]
    pub fn str(&mut self, value: &str) {
        self.escaped(value);
    }

    /// A value this program names (an enum's key): plain ASCII with nothing to escape, written
    /// as it is, without the scan every text from the data needs.
    #[inline(always)]
    pub fn name(&mut self, value: &'static str) {
        debug_assert!(
            value
                .bytes()
                .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b.is_ascii())
        );
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
    }

    #[inline(always)]
    pub fn f64(&mut self, value: f64) {
        if value.is_finite() {
            let mut buffer = zmij::Buffer::new();
            self.out
                .extend_from_slice(buffer.format_finite(value).as_bytes());
        } else {
            self.null();
        }
    }

    /// `format::round(value, places)`, written as `f64` would write it (without formatting
    /// the float when the value is a plain count of 10^-places).
    pub fn rounded(&mut self, value: f64, places: i32) {
        match super::format::write_rounded_plain(self.out, value, places) {
            Some(true) => {}
            Some(false) => self.out.extend_from_slice(b".0"),
            None => self.f64(super::format::round(value, places)),
        }
    }

    #[inline(always)]
    pub fn u64(&mut self, value: u64) {
        let mut buffer = itoa::Buffer::new();
        self.out.extend_from_slice(buffer.format(value).as_bytes());
    }

    #[inline(always)]
    pub fn bool(&mut self, value: bool) {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    #[inline(always)]
    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    /// A scalar with a `Serialize` of its own (an enum's name), so its JSON name is defined
    /// once, by its type.
    pub fn scalar(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        serde_json::to_writer(&mut *self.out, value).map_err(std::io::Error::from)
    }

    /// A string with serde_json's escapes: `"` and `\`, the short forms of backspace, form
    /// feed, newline, carriage return and tab, `\u00XX` for the other control bytes.
    fn escaped(&mut self, text: &str) {
        let bytes = text.as_bytes();
        // Report text is almost always plain: one check over every byte (no early exit, so
        // it vectorises), then one copy.
        let plain = !bytes.iter().fold(false, |seen, &b| {
            seen | (b < 0x20) | (b == b'"') | (b == b'\\')
        });
        if plain {
            self.out.reserve(bytes.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(bytes);
            self.out.push(b'"');
            return;
        }
        self.out.push(b'"');
        let mut start = 0;
        for (index, &byte) in bytes.iter().enumerate() {
            let escape: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                0x0c => b"\\f",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x00..=0x1f => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.extend_from_slice(&bytes[start..index]);
                    self.out.extend_from_slice(b"\\u00");
                    self.out.push(HEX[usize::from(byte >> 4)]);
                    self.out.push(HEX[usize::from(byte & 0xf)]);
                    start = index + 1;
                    continue;
                }
                _ => continue,
            };
            self.out.extend_from_slice(&bytes[start..index]);
            self.out.extend_from_slice(escape);
            start = index + 1;
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(write: impl FnOnce(&mut JsonBytes)) -> String {
        let mut out = Vec::new();
        write(&mut JsonBytes::new(&mut out, false, 0));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        let hostile = [
            "plain",
            "",
            "quote \" and \\ backslash",
            "\u{0}\u{1}\u{8}\u{9}\n\u{b}\u{c}\r\u{1f}\u{7f}",
            "bidi \u{202e} and é 日本 🎉",
            "</script>",
        ];
        for text in hostile {
            assert_eq!(
                compact(|w| w.str(text)),
                serde_json::to_string(text).unwrap()
            );
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for value in [
            0.0,
            -0.0,
            1.0,
            0.1,
            784.03,
            -52.75,
            1e21,
            1e-7,
            123_456_789.125,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(
                compact(|w| w.f64(value)),
                serde_json::to_string(&value).unwrap()
            );
        }
        assert_eq!(compact(|w| w.u64(u64::MAX)), u64::MAX.to_string());
    }

    /// `rounded` writes what `f64` writes of the rounded value, over every scale (a million
    /// random values from 1e-7 to 1e18, both signs) and the edges.
    #[test]
    fn rounded_numbers_are_written_as_serde_json_writes_them() {
        use crate::report::format::round;
        let mut values = vec![
            0.0,
            -0.0,
            0.00004,
            -0.00005,
            0.5,
            1.0,
            -1.0,
            1e15,
            1e16,
            999_999_999_999.99,
            f64::NAN,
            f64::INFINITY,
            f64::MAX,
        ];
        values.extend(crate::report::format::random_magnitudes(9, -7.0..18.0));
        let mut ours = Vec::new();
        for value in values {
            for places in [0, 2, 4] {
                ours.clear();
                JsonBytes::new(&mut ours, false, 0).rounded(value, places);
                assert_eq!(
                    std::str::from_utf8(&ours).unwrap(),
                    serde_json::to_string(&round(value, places)).unwrap(),
                    "{value} to {places} places"
                );
            }
        }
    }

    #[test]
    fn nesting_matches_serde_json_in_both_layouts() {
        let value = serde_json::json!({"a": [], "b": {}, "c": [1.5, {"d": null}], "e": true});
        for pretty in [false, true] {
            let mut out = Vec::new();
            let mut w = JsonBytes::new(&mut out, pretty, 0);
            w.begin_object();
            w.key("a");
            w.begin_array();
            w.end_array();
            w.key("b");
            w.begin_object();
            w.end_object();
            w.key("c");
            w.begin_array();
            w.element();
            w.f64(1.5);
            w.element();
            w.begin_object();
            w.text_key("d");
            w.null();
            w.end_object();
            w.end_array();
            w.key("e");
            w.bool(true);
            w.end_object();
            let expected = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            assert_eq!(String::from_utf8(out).unwrap(), expected, "pretty {pretty}");
        }
    }
}
