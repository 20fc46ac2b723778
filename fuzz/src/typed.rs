//! The `typed` and `named` targets: the stock v2.5.1 typed messages, read
//! from ER7 and from named JSON.

use std::sync::LazyLock;

use hl7_runtime::er7::{Message, parse_stream};
use hl7_runtime::json::named::{self, NamedJson};
use hl7_runtime::stock::v2_5_1::{AdtA01, OrmO01, OruR01};
use hl7_runtime::typed::Message as _;
use hl7_schema::profile::{Profile, structure_profile};
use serde_json::Value as Json;

/// The standard structures of the stock types checked, for named JSON.
static PROFILES: LazyLock<[Profile; 3]> = LazyLock::new(|| {
    ["ADT_A01", "ORU_R01", "ORM_O01"]
        .map(|s| structure_profile("2.5.1", s).expect("a bundled structure"))
});

/// Named JSON of those structures, prepared once.
static NAMED: LazyLock<Vec<NamedJson<'static>>> =
    LazyLock::new(|| PROFILES.iter().map(NamedJson::new).collect());

/// Reads `msg` as `$ty` and checks the round trips.
macro_rules! check_typed {
    ($ty:ident, $msg:expr, $named:expr) => {{
        let msg: &Message<'_> = $msg;
        match $ty::from_message(msg) {
            Ok(typed) => {
                let written = typed.to_er7(msg.delimiters());
                let _ = typed.unmodeled().len();
                // Nothing dropped: a message read and not changed writes
                // back as it was read.
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&msg.to_er7()),
                    "{} writes back what it read",
                    stringify!($ty)
                );
                let again = Message::parse(&written).expect("written ER7 parses");
                let typed_again =
                    $ty::from_message(&again).expect("written ER7 reads into the same type");
                assert_eq!(typed_again.to_er7(again.delimiters()), written);

                // Named JSON: serde on the type and the profile walk agree;
                // the JSON reads back into the same JSON, and the ER7 that
                // writes reads into the same JSON again (trailing empty
                // fields and unmodeled content are not in named JSON).
                let json = serde_json::to_value(&typed).expect("typed JSON");
                if let Ok(walked) = $named.to_value(msg) {
                    assert!(
                        agree(&json, &walked),
                        "typed JSON vs named JSON of the profile:\n{json}\n{walked}"
                    );
                }
                let back: $ty<'static> =
                    named::from_str(&json.to_string()).expect("typed JSON reads back");
                assert_eq!(serde_json::to_value(&back).expect("typed JSON"), json);
                // ER7 written from JSON reads into JSON that writes the
                // same ER7 (the first trip may drop what JSON cannot say,
                // such as a composite of empty components).
                let er7 = back.to_er7(msg.delimiters());
                let reread = Message::parse(&er7).expect("ER7 written from JSON parses");
                let typed_again = $ty::from_message(&reread).expect("and reads");
                let json_again = serde_json::to_string(&typed_again).expect("typed JSON");
                let back_again: $ty<'static> =
                    named::from_str(&json_again).expect("typed JSON reads back");
                let er7_again = back_again.to_er7(msg.delimiters());
                assert_eq!(
                    String::from_utf8_lossy(&er7_again),
                    String::from_utf8_lossy(&er7),
                    "{} ER7, JSON, ER7",
                    stringify!($ty)
                );
            }
            Err(e) => {
                let _ = e.to_string();
                assert!(e.is_missing() || e.is_wrong_segment(), "{e}");
            }
        }
    }};
}

/// Do typed JSON and the profile walk's JSON agree? The same, except where
/// the stock types hold a composite component as `Varies` (a string of the
/// wire text) and the walk writes an object of its sub-components (CQ.2
/// `units`, a CE, in OBR-9): a known difference, reported, not checked.
fn agree(typed: &Json, walked: &Json) -> bool {
    match (typed, walked) {
        (Json::String(_), Json::Object(_)) => true,
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && agree(va, vb))
        }
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| agree(x, y))
        }
        _ => typed == walked,
    }
}

/// Reads every message `data` holds as ER7 into the stock v2.5.1
/// `ADT_A01`, `ORU_R01` and `ORM_O01` types. Never a panic; a message
/// that reads writes back byte for byte (as [`Message::to_er7`] writes
/// it), reads again from what was written, and its named JSON equals what
/// `json::named` makes from the standard structure and reads back to the
/// same ER7.
///
/// # Panics
/// When an invariant breaks.
pub fn typed_round_trip(data: &[u8]) {
    let [adt, oru, orm] = &NAMED[..] else {
        unreachable!("three structures")
    };
    for msg in parse_stream(data).flatten().take(4) {
        check_typed!(AdtA01, &msg, adt);
        check_typed!(OruR01, &msg, oru);
        check_typed!(OrmO01, &msg, orm);
    }
}

/// Reads `data` as named JSON into the stock v2.5.1 `ADT_A01` and
/// `ORU_R01` types with [`named::from_str`]. Never a panic; what reads
/// writes JSON that reads back to the same JSON, and writes ER7 without
/// a panic.
///
/// # Panics
/// When an invariant breaks.
pub fn named_json_read(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    macro_rules! read {
        ($ty:ident) => {
            match named::from_str::<$ty<'static>>(text) {
                Ok(typed) => {
                    let json = serde_json::to_string(&typed).expect("typed JSON");
                    let back: $ty<'static> =
                        named::from_str(&json).expect("written named JSON reads back");
                    assert_eq!(serde_json::to_string(&back).expect("typed JSON"), json);
                    let er7 = typed.to_er7(&hl7_runtime::er7::Delimiters::default());
                    let _ = Message::parse(&er7).map(|m| $ty::from_message(&m).is_ok());
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        };
    }
    read!(AdtA01);
    read!(OruR01);
}
