//! Log and audit lines that cannot leak a secret or be forged: every line passes
//! [`genesys_resolver::redact::text`], and every control character in it is escaped, so a
//! caller-supplied field (a `uri` holding `\n2026-01-01T00:00:00Z INFO forged`, ESC sequences)
//! stays inside its one line, in the text and the JSON formats alike.

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
    let clean = genesys_resolver::redact::text(body);
    // Most lines have nothing to escape: keep the scrubbed string rather than copy it.
    let mut line = if has_controls(&clean) {
        escape_controls(&clean)
    } else {
        clean
    };
    line.push('\n');
    line
}

/// A writer that collects one record and writes it made safe ([`safe_line`]) on `flush` or
/// when dropped. Each `tracing` event is formatted whole and written to a fresh writer, and
/// the audit sink flushes after each line, so a record is never split.
#[derive(Debug)]
pub struct ScrubbingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> ScrubbingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buf: Vec::new(),
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let line = safe_line(&self.buf);
        self.buf.clear();
        self.inner.write_all(line.as_bytes())
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
