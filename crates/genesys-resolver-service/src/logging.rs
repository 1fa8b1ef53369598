//! Log and audit lines that cannot leak a secret or be forged: every log line passes
//! [`genesys_resolver::redact::text`], every audit record has each of its text fields scrubbed
//! the same way when it is built ([`genesys_resolver::audit`]; its line is not scanned a second
//! time, see [`ScrubbingWriter::for_scrubbed_records`]), and every control character in a line
//! is escaped, so a caller-supplied field (a `uri` holding
//! `\n2026-01-01T00:00:00Z INFO forged`, ESC sequences) stays inside its one line, in the text
//! and the JSON formats alike.

use std::borrow::Cow;

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// `line` with every control character (and Unicode bidirectional formatting character)
/// escaped (`\n`, `\r`, `\t`, `\u{1b}`, ...): the core's
/// [`genesys_resolver::redact::escape_controls`], which the command line's output shares.
pub fn escape_controls(line: &str) -> String {
    genesys_resolver::redact::escape_controls(line).into_owned()
}

/// Whether `line` holds a character [`escape_controls`] escapes (one pass over the bytes).
fn has_controls(line: &str) -> bool {
    genesys_resolver::redact::has_controls(line)
}

/// One record (a formatted log event, an audit line) made safe: scrubbed, escaped, and ended
/// by exactly one newline.
pub fn safe_line(record: &[u8]) -> String {
    let text = String::from_utf8_lossy(record);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    match genesys_resolver::redact::text_if_changed(body) {
        Some(clean) => escaped_line(&clean),
        None => escaped_line(body),
    }
}

/// `body` with its controls escaped and one newline appended.
fn escaped_line(body: &str) -> String {
    let mut line = if has_controls(body) {
        escape_controls(body)
    } else {
        let mut line = String::with_capacity(body.len() + 1);
        line.push_str(body);
        line
    };
    line.push('\n');
    line
}

/// One record whose text fields were scrubbed when it was built (an audit record's line),
/// made safe without scanning it again: controls escaped, ended by exactly one newline;
/// borrowed when it already is.
fn escaped_record(record: &[u8]) -> Cow<'_, [u8]> {
    if let Some(body) = record.strip_suffix(b"\n")
        && std::str::from_utf8(body).is_ok_and(|text| !has_controls(text))
    {
        return Cow::Borrowed(record);
    }
    let text = String::from_utf8_lossy(record);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    Cow::Owned(escaped_line(body).into_bytes())
}

/// A writer that collects one record and writes it made safe ([`safe_line`]) on `flush` or
/// when dropped. Each `tracing` event is formatted whole and written to a fresh writer, and
/// the audit sink flushes after each line, so a record is never split.
#[derive(Debug)]
pub struct ScrubbingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    /// Whether each record's text is scrubbed here (`false`: it was when the record was built).
    redact: bool,
}

impl<W: Write> ScrubbingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            redact: true,
        }
    }

    /// Wraps `inner` for records whose every text field was scrubbed when they were built: the
    /// audit records of [`genesys_resolver::audit`] as the operation envelope builds them. Each
    /// record is escaped and ended by one newline as [`new`](Self::new)'s are, but not scanned
    /// for secrets a second time.
    pub fn for_scrubbed_records(inner: W) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            redact: false,
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let written = if self.redact {
            self.inner.write_all(safe_line(&self.buf).as_bytes())
        } else {
            self.inner.write_all(&escaped_record(&self.buf))
        };
        self.buf.clear();
        written
    }
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for ScrubbingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A [`MakeWriter`] whose writers are [`ScrubbingWriter`]s around `M`'s.
#[derive(Debug, Clone)]
pub struct Scrubbing<M>(pub M);

impl<'a, M> MakeWriter<'a> for Scrubbing<M>
where
    M: MakeWriter<'a>,
{
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter::new(self.0.make_writer())
    }
}

/// Sends `tracing` events to stderr through the scrubber, as text or JSON lines, filtered by
/// `RUST_LOG` (or `default_filter`). ANSI colours are off: their escape bytes would be escaped.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Scrubbing(io::stderr));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_stays_one_line_and_loses_its_secrets() {
        let line = safe_line(
            b"INFO probe failed uri=https://h/\r\n2026-01-01T00:00:00Z INFO forged \x1b[31m \
              Authorization=Bearer tok-123456789\n",
        );
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.ends_with('\n'));
        assert!(!line.contains('\x1b') && !line.contains('\r'));
        assert!(
            line.contains("\\r\\n2026-01-01T00:00:00Z INFO forged \\u{1b}[31m"),
            "{line}"
        );
        assert!(!line.contains("tok-123456789"), "{line}");
    }

    #[test]
    fn controls_are_found_by_their_bytes_as_by_their_characters() {
        let mut samples: Vec<String> = (0_u32..0x250)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        samples
            .extend(["", "plain", "\u{85}", "é\u{9f}", "\u{a0}\u{c2}", "日本\n"].map(String::from));
        for s in samples {
            assert_eq!(has_controls(&s), s.chars().any(char::is_control), "{s:?}");
        }
    }

    #[test]
    fn controls_are_found_in_every_position_of_a_word() {
        let plain = "0123456789abcdefghijklmnopqrstuv";
        for c in [
            '\n', '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}', '\u{85}', '\u{61c}', '\u{200e}',
            '\u{202e}', '\u{2069}',
        ] {
            for at in 0..=plain.len() {
                let s = format!("{}{c}{}", &plain[..at], &plain[at..]);
                assert!(has_controls(&s), "{s:?}");
            }
        }
        for c in ['\u{a0}', '\u{bf}', 'é', ' ', '~', '\u{2028}'] {
            for at in 0..=plain.len() {
                let s = format!("{}{c}{}", &plain[..at], &plain[at..]);
                assert!(!has_controls(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn scrubbed_records_are_escaped_but_not_scanned_again() {
        let mut out = Vec::new();
        {
            let mut w = ScrubbingWriter::for_scrubbed_records(&mut out);
            w.write_all(b"{\"a\":\"Bearer kept-as-built\"}\n").unwrap();
            w.flush().unwrap();
            w.write_all("one\u{85}\x1b[2Jtwo".as_bytes()).unwrap();
            w.flush().unwrap();
            w.write_all(b"bad \xff utf-8\n").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":\"Bearer kept-as-built\"}\none\\u{85}\\u{1b}[2Jtwo\nbad \u{fffd} utf-8\n"
        );
    }

    #[test]
    fn the_writer_emits_on_flush_and_drop() {
        let mut out = Vec::new();
        {
            let mut w = ScrubbingWriter::new(&mut out);
            w.write_all(b"one\ntwo").unwrap();
            w.flush().unwrap();
            w.write_all(b"three\n").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "one\\ntwo\nthree\n");
    }
}
