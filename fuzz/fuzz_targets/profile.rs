#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hl7_fuzz::profile_load(data));
