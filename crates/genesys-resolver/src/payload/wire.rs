//! The Go-exact JSON writer: Go's float form and string escaping.

use std::io;

use serde::Serializer;

/// A writer that only counts bytes.
pub(super) struct ByteCounter(pub(super) usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Serializes a float as Go's `encoding/json` does for values in the range it prints without an
/// exponent: a whole number has no fraction (`5`, not `5.0`).
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` passes a reference
pub(super) fn go_float<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    let v = *value;
    // Below 2^53 every whole f64 is exact as an integer; Go prints those without a fraction.
    #[allow(clippy::cast_possible_truncation)]
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        serializer.serialize_i64(v as i64)
    } else {
        serializer.serialize_f64(v)
    }
}

/// A JSON formatter that escapes strings as Go's `encoding/json` does: HTML-significant
/// characters and the line/paragraph separators as `\uXXXX`, backspace and form feed in hex.
pub(super) struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, ch) in fragment.char_indices() {
            let escape = match ch {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escape.as_bytes())?;
            start = i + ch.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> io::Result<()> {
        use serde_json::ser::CharEscape;
        let s: String = match escape {
            CharEscape::Quote => "\\\"".into(),
            CharEscape::ReverseSolidus => "\\\\".into(),
            CharEscape::LineFeed => "\\n".into(),
            CharEscape::CarriageReturn => "\\r".into(),
            CharEscape::Tab => "\\t".into(),
            CharEscape::Backspace => "\\u0008".into(),
            CharEscape::FormFeed => "\\u000c".into(),
            CharEscape::AsciiControl(byte) => format!("\\u{byte:04x}"),
            // serde_json never asks for `/` to be escaped; Go does not escape it either.
            CharEscape::Solidus => "/".into(),
        };
        writer.write_all(s.as_bytes())
    }
}
