//! Any bytes as YAML, through the document reader with small caps: anchors, aliases, tags and
//! deep nesting never panic and never grow past the expanded-size cap (a refusal is an error,
//! not an abort), and no refusal repeats a line of the text.
#![no_main]

use genesys_resolver::document::{DocumentError, DocumentKind, DocumentReader, Format, ReadLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits::default()
        .with_max_depth(8)
        .with_max_expanded_bytes(16 << 10);
    for kind in [DocumentKind::Payload, DocumentKind::EventBridge, DocumentKind::Route] {
        let reader = DocumentReader::new().kind(kind).read_limits(limits);
        match reader.read_text(data, Format::Yaml) {
            Ok(document) => assert_eq!(document.kind(), kind),
            Err(DocumentError::Syntax { message, .. }) => {
                if let Ok(text) = std::str::from_utf8(data) {
                    for line in text.lines().map(str::trim).filter(|l| l.len() >= 24) {
                        assert!(!message.contains(line), "{message:?} repeats {line:?}");
                    }
                }
            }
            Err(_) => {}
        }
    }
});
