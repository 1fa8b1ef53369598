//! The escaping for everything shown on a line: control and bidirectional formatting
//! characters.

/// Whether `c` must not reach a terminal or a log raw: a control character (C0, DEL, C1: what
/// moves the cursor, starts an escape sequence or ends a line) or a Unicode bidirectional
/// formatting character (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069: they
/// reorder what follows on the line, so text would read other than it is).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `text` holds a character [`escape_controls`] escapes ([`is_unsafe_char`]). One pass
/// over the bytes, without decoding characters, eight bytes at a time: a word with no byte
/// below `0x20` and none equal to `0x7F` or to the first byte of a C1 control (`0xC2`) or of a
/// bidirectional formatting character (`0xD8`, `0xE2`) holds none, and only the rare word that
/// has one is looked at byte by byte.
pub fn has_controls(text: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let bytes = text.as_bytes();
    // Whether some byte of `w` is below `n` (exact for n <= 0x80), or equal to `b`.
    let any_below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS != 0;
    let any_equal = |w: u64, b: u8| any_below(w ^ (ONES * u64::from(b)), 1);
    let exact = |i: usize| match bytes[i] {
        0x00..=0x1f | 0x7f => true,
        // C1 (U+0080 to U+009F) is 0xC2 0x80..=0x9F in UTF-8; U+061C is 0xD8 0x9C.
        0xc2 => bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
        0xd8 => bytes.get(i + 1) == Some(&0x9c),
        // U+200E, U+200F, U+202A..U+202E (0xE2 0x80 ..), U+2066..U+2069 (0xE2 0x81 ..).
        0xe2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(0x80), Some(n)) => matches!(n, 0x8e | 0x8f | 0xaa..=0xae),
            (Some(0x81), Some(n)) => (0xa6..=0xa9).contains(n),
            _ => false,
        },
        _ => false,
    };
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0_u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_ne_bytes(word);
        let suspect = any_below(w, 0x20)
            || any_equal(w, 0x7f)
            || any_equal(w, 0xc2)
            || any_equal(w, 0xd8)
            || any_equal(w, 0xe2);
        if suspect && (at..at + 8).any(exact) {
            return true;
        }
        at += 8;
    }
    (at..bytes.len()).any(exact)
}

/// `text` with every character of [`is_unsafe_char`] escaped (`\n`, `\r`, `\t`, `\u{1b}`,
/// `\u{202e}`, ...), so it stays on its one line and reads as it is: what every log line of the
/// service and every line the command line prints passes through, since a payload key, a file
/// name or an upstream message may carry a newline followed by a forged line (a CI annotation
/// such as `::error::`), or a terminal escape sequence. Borrowed when there is nothing to
/// escape (most text).
///
/// ```
/// use genesys_resolver::redact::escape_controls;
///
/// assert_eq!(escape_controls("a\n::error::x\u{1b}[31m"), "a\\n::error::x\\u{1b}[31m");
/// assert_eq!(escape_controls("plain"), "plain");
/// ```
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !has_controls(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_are_found_by_their_bytes_as_by_their_characters() {
        let mut samples: Vec<String> = (0_u32..0x2100)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        samples.extend(
            [
                "",
                "plain",
                "\u{85}",
                "é\u{9f}",
                "\u{a0}\u{c2}",
                "日本\n",
                "\u{2029}",
                "\u{2065}",
            ]
            .map(String::from),
        );
        for s in samples {
            assert_eq!(has_controls(&s), s.chars().any(is_unsafe_char), "{s:?}");
        }
    }

    #[test]
    fn escaped_text_keeps_to_one_line_and_reads_as_it_is() {
        let forged = "k\r\n::error file=x::forged \u{1b}[31mred\u{9b}2J \u{202e}txt.exe\u{7f}";
        let line = escape_controls(forged);
        assert!(!has_controls(&line), "{line}");
        assert_eq!(
            line,
            "k\\r\\n::error file=x::forged \\u{1b}[31mred\\u{9b}2J \\u{202e}txt.exe\\u{7f}"
        );
        // Escaping twice changes nothing more.
        assert_eq!(escape_controls(&line), line);
        assert!(matches!(
            escape_controls("naïve 日本"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
