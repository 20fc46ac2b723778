//! Measures how long loading each bundled HL7 v2 version takes.
//!
//! ```text
//! cargo run -p hl7-schema --example load_defs            # debug build
//! cargo run -p hl7-schema --example load_defs --release  # optimised
//! ```
//!
//! Prints, per version, the item counts and the fastest and median of 20
//! loads (parsing the bundled text, including the shared table values).

use std::time::{Duration, Instant};

use hl7_schema::defs::{DefsError, Version, versions};

const RUNS: usize = 20;

fn main() -> Result<(), DefsError> {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("build: {profile}, {RUNS} loads per version");
    println!(
        "{:<6} {:>4} {:>6} {:>4} {:>5} {:>4} {:>6} {:>9} {:>9}",
        "ver", "segs", "fields", "dts", "structs", "evts", "tables", "min", "median"
    );
    for id in versions() {
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut v = Version::load(id)?;
        for _ in 0..RUNS {
            let t = Instant::now();
            v = Version::load(id)?;
            times.push(t.elapsed());
        }
        times.sort();
        let fields: usize = v.segments().iter().map(|s| s.fields.len()).sum();
        println!(
            "{:<6} {:>4} {:>6} {:>4} {:>7} {:>4} {:>6} {:>7.2}ms {:>7.2}ms",
            id,
            v.segments().len(),
            fields,
            v.datatypes().len(),
            v.structures().len(),
            v.events().len(),
            v.tables().len(),
            times[0].as_secs_f64() * 1e3,
            times[RUNS / 2].as_secs_f64() * 1e3,
        );
    }
    Ok(())
}
