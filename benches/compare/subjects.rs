//! The crates under test, each behind one small adapter.
//!
//! Every adapter does the same two jobs with the crate's own, most natural
//! API (shared/docs/PEERS.md §3.2 lists the same access paths):
//!
//! * `parse`: the crate's parse entry point, keeping the result alive until
//!   it is dropped, as a caller would;
//! * `read`: parse, then hand PID-5.1 and OBX-5 of every OBX to a [`Sink`],
//!   escape sequences decoded wherever the crate has a decoder.
//!
//! Crates that take `&str` get the UTF-8 check inside the timed code,
//! because a message arrives as bytes.
//!
//! Anything that can be prepared once (parsed paths, a compiled decoder) is
//! prepared in `new`, outside the timed code.

use std::borrow::Cow;

/// Where a `read` delivers the values it found.
pub(crate) trait Sink {
    /// PID-5.1 (family name of the first patient name).
    fn pid_5_1(&mut self, value: &str);
    /// OBX-5 of one OBX, in message order.
    fn obx_5(&mut self, value: &str);
}

/// One crate under test.
pub(crate) trait Subject: 'static {
    /// Crate name, as in Cargo.lock (the version is looked up from it).
    const CRATE: &'static str;
    /// Whether this is our own crate.
    const OURS: bool = false;
    /// The call timed as "parse".
    const PARSE_API: &'static str;
    /// The calls timed as "read".
    const READ_API: &'static str;

    /// Prepares everything that is reused across messages.
    fn new() -> Self;

    /// Parses and drops one message; returns something derived from the
    /// parse so the optimiser has to keep it.
    fn parse(&self, msg: &[u8]) -> usize;

    /// Parses one message and delivers PID-5.1 and every OBX-5 to `sink`.
    fn read<S: Sink>(&self, msg: &[u8], sink: &mut S);
}

/// `&str` view of a message for the crates that want one.
fn utf8(msg: &[u8]) -> &str {
    std::str::from_utf8(msg).expect("bench messages are UTF-8")
}

// ------------------------------------------------------------------ ours

/// `hl7-runtime`'s ER7 engine.
pub(crate) struct Ours {
    pid_5_1: hl7_runtime::er7::Path,
    obx_5: hl7_runtime::er7::Path,
}

impl Subject for Ours {
    const CRATE: &'static str = "hl7-runtime";
    const OURS: bool = true;
    const PARSE_API: &'static str = "er7::Message::parse";
    const READ_API: &'static str = "get / get_all + Value::text";

    fn new() -> Self {
        Ours {
            pid_5_1: "PID-5.1".parse().expect("valid path"),
            obx_5: "OBX[*]-5".parse().expect("valid path"),
        }
    }

    fn parse(&self, msg: &[u8]) -> usize {
        let parsed = hl7_runtime::er7::Message::parse(msg).expect("parses");
        parsed.segment_count()
    }

    fn read<S: Sink>(&self, msg: &[u8], sink: &mut S) {
        let parsed = hl7_runtime::er7::Message::parse(msg).expect("parses");
        if let Some(value) = parsed.get(&self.pid_5_1) {
            sink.pid_5_1(&value.text());
        }
        for value in parsed.get_all(&self.obx_5) {
            sink.obx_5(&value.text());
        }
    }
}

// ------------------------------------------------------------ hl7-parser

/// hamaluik's nom-based parser: a tree of borrowed slices.
pub(crate) struct HamaluikParser;

impl Subject for HamaluikParser {
    const CRATE: &'static str = "hl7-parser";
    const PARSE_API: &'static str = "Message::parse";
    const READ_API: &'static str = "segment/field/component + Separators::decode";

    fn new() -> Self {
        HamaluikParser
    }

    fn parse(&self, msg: &[u8]) -> usize {
        let parsed = hl7_parser::Message::parse(utf8(msg)).expect("parses");
        parsed.segments.len()
    }

    fn read<S: Sink>(&self, msg: &[u8], sink: &mut S) {
        let parsed = hl7_parser::Message::parse(utf8(msg)).expect("parses");
        let separators = &parsed.separators;
        if let Some(name) = parsed
            .segment("PID")
            .and_then(|pid| pid.field(5))
            .and_then(|field| field.component(1))
        {
            sink.pid_5_1(&separators.decode(name.raw_value()).to_string());
        }
        for obx in parsed.segments().filter(|s| s.name == "OBX") {
            if let Some(field) = obx.field(5) {
                sink.obx_5(&separators.decode(field.raw_value()).to_string());
            }
        }
    }
}

// ------------------------------------------------------------------- er7

/// The encoding layer under hl7-2: an owned tree, decoded on read.
pub(crate) struct Er7 {
    pid_5_1: er7::Path,
    obx_5: er7::Path,
}

impl Subject for Er7 {
    const CRATE: &'static str = "er7";
    const PARSE_API: &'static str = "er7::parse";
    const READ_API: &'static str = "query_path (decoded Strings)";

    fn new() -> Self {
        Er7 {
            // er7 reads a path without a repetition as "every repetition";
            // `[1]` asks for the first name only, as PID-5.1 means.
            pid_5_1: "PID-5[1].1".parse().expect("valid path"),
            obx_5: "OBX-5".parse().expect("valid path"),
        }
    }

    fn parse(&self, msg: &[u8]) -> usize {
        let parsed = er7::parse(utf8(msg)).expect("parses");
        parsed.segments.len()
    }

    fn read<S: Sink>(&self, msg: &[u8], sink: &mut S) {
        let parsed = er7::parse(utf8(msg)).expect("parses");
        if let Some(name) = parsed.query_path(&self.pid_5_1).first() {
            sink.pid_5_1(name);
        }
        for value in parsed.query_path(&self.obx_5) {
            sink.obx_5(&value);
        }
    }
}

// ----------------------------------------------------------------- hl7-2

/// er7 plus input normalisation, dictionaries and message structures.
pub(crate) struct Hl7Two;

impl Subject for Hl7Two {
    const CRATE: &'static str = "hl7-2";
    const PARSE_API: &'static str = "hl7_2::parse";
    const READ_API: &'static str = "get / get_all (decoded Strings)";

    fn new() -> Self {
        Hl7Two
    }

    fn parse(&self, msg: &[u8]) -> usize {
        let parsed = hl7_2::parse(utf8(msg)).expect("parses");
        parsed.segments().count()
    }

    fn read<S: Sink>(&self, msg: &[u8], sink: &mut S) {
        let parsed = hl7_2::parse(utf8(msg)).expect("parses");
        if let Some(name) = parsed.get("PID-5.1").expect("valid path") {
            sink.pid_5_1(&name);
        }
        for value in parsed.get_all("OBX-5").expect("valid path") {
            sink.obx_5(&value);
        }
    }
}

// -------------------------------------------------------------- rust-hl7

/// wokket's eager splitter: nested `Vec<&str>` per field.
pub(crate) struct RustHl7 {
    /// Built once: its constructor compiles a regex, and the crate's docs
    /// ask callers to cache it per set of separators.
    decoder: rusthl7::escape_sequence::EscapeSequence,
}

impl Subject for RustHl7 {
    const CRATE: &'static str = "rust-hl7";
    const PARSE_API: &'static str = "Message::try_from";
    const READ_API: &'static str = "query / segments_by_name + EscapeSequence::decode";

    fn new() -> Self {
        RustHl7 {
            decoder: rusthl7::escape_sequence::EscapeSequence::new(
                rusthl7::separators::Separators::default(),
            ),
        }
    }

    fn parse(&self, msg: &[u8]) -> usize {
        let parsed = rusthl7::message::Message::try_from(utf8(msg)).expect("parses");
        parsed.segments.len()
    }

    fn read<S: Sink>(&self, msg: &[u8], sink: &mut S) {
        let parsed = rusthl7::message::Message::try_from(utf8(msg)).expect("parses");
        assert!(
            parsed.get_separators() == rusthl7::separators::Separators::default(),
            "the cached decoder assumes the default separators"
        );
        sink.pid_5_1(&self.decoder.decode(parsed.query("PID.F5.R1.C1")));
        for obx in parsed.segments_by_name("OBX").expect("infallible") {
            let raw: &str = obx[5];
            let decoded: Cow<'_, str> = self.decoder.decode(raw);
            sink.obx_5(&decoded);
        }
    }
}

// ---------------------------------------------------------- hl7-v2 (Zluidr)

/// Zluidr's shallow splitter: fields split per segment, no decoder.
pub(crate) struct Zluidr;

impl Subject for Zluidr {
    const CRATE: &'static str = "hl7-v2";
    const PARSE_API: &'static str = "Hl7Message::parse";
    const READ_API: &'static str = "segment/field/component (raw: no decoder)";

    fn new() -> Self {
        Zluidr
    }

    fn parse(&self, msg: &[u8]) -> usize {
        let parsed = hl7_v2::Hl7Message::parse(msg).expect("parses");
        parsed.all_segments().count()
    }

    fn read<S: Sink>(&self, msg: &[u8], sink: &mut S) {
        let parsed = hl7_v2::Hl7Message::parse(msg).expect("parses");
        if let Some(field) = parsed.segment("PID").and_then(|pid| pid.field(5))
            && let Some(name) = field.component(1)
        {
            sink.pid_5_1(name);
        }
        for obx in parsed.segments("OBX") {
            if let Some(field) = obx.field(5) {
                sink.obx_5(field.value());
            }
        }
    }
}
