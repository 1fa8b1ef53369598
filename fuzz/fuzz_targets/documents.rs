//! Any bytes, as JSON and as YAML, through the document reader: never a panic, and nothing
//! beyond its caps (a refusal is an error, not an abort).
#![no_main]

use genesys_resolver::document::{DocumentReader, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reader = DocumentReader::new();
    for format in [Format::Json, Format::Yaml] {
        // Read, then the kind it was read as is the kind it reports.
        if let Ok(document) = reader.read_text(data, format) {
            let again = reader.clone().kind(document.kind()).read_text(data, format);
            assert_eq!(again.ok(), Some(document));
        }
    }
});
