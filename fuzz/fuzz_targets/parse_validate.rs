//! Any bytes: strict parse, then validate, then the wire form must parse back to the same payload.
#![no_main]

use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::validate::validate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = ResolvePayload::from_json(data) {
        let _ = validate(&payload);
        let wire = payload.to_wire_json();
        let back = ResolvePayload::from_json(wire.as_bytes()).expect("wire form parses");
        assert_eq!(back, payload, "wire form round-trips");
    }
});
