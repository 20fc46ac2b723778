//! Reads the bundled ADT^A01 and ORU^R01 samples (or the files given) into
//! the types generated from `profiles/riverside.toml`, prints what a feed
//! handler would use, and checks each writes back byte for byte.
//!
//! ```sh
//! cargo run -p custom-profile-example
//! cargo run -p custom-profile-example -- path/to/messages.hl7
//! ```

use std::process::ExitCode;

use hl7_runtime::er7::{Message, parse_stream};
use hl7_runtime::typed::Message as _;
use hl7_runtime::types::VariesValue;

hl7_runtime::include_profile!(mod riverside);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files = if args.is_empty() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../messages");
        vec![format!("{dir}/adt_a01.hl7"), format!("{dir}/oru_r01.hl7")]
    } else {
        args
    };
    let mut failed = false;
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::from(2);
            }
        };
        for msg in parse_stream(&bytes) {
            match msg {
                Ok(msg) => {
                    if let Err(e) = handle(&msg) {
                        eprintln!("{file}: message {}: {e}", msg.index() + 1);
                        failed = true;
                    }
                }
                Err(e) => {
                    eprintln!("{file}: {e}");
                    failed = true;
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn handle(msg: &Message<'_>) -> Result<(), Box<dyn std::error::Error>> {
    let kind = msg
        .get(&"MSH-9.1".parse()?)
        .map(|v| v.text().into_owned())
        .unwrap_or_default();
    match kind.as_str() {
        "ADT" => {
            let adt = riverside::AdtA01::from_message(msg)?;
            let pid = &adt.pid;
            // PID-5 is required and repeats at Riverside: a Vec, never an Option.
            let name = &pid.patient_name[0];
            println!(
                "ADT {}: admit {} {} (MRN {}), ward {}",
                lossy(adt.evn.recorded_date_time.wire()),
                name.given_name
                    .as_ref()
                    .map(|g| g.text())
                    .unwrap_or_default(),
                name.family_name
                    .as_ref()
                    .map(|f| f.surname.text())
                    .unwrap_or_default(),
                pid.patient_identifier_list[0].id_number.text(),
                adt.pv1
                    .assigned_patient_location
                    .as_ref()
                    .and_then(|l| l.point_of_care.as_ref())
                    .map(|p| lossy(p.wire()))
                    .unwrap_or_default(),
            );
            // The site's Z segment is a typed member.
            if let Some(zpx) = &adt.zpx {
                println!(
                    "  portal enrolled: {:?}",
                    zpx.portal_enrolled.as_ref().map(|p| lossy(p.code()))
                );
            }
            // pid.ssn_number_patient does not exist: Riverside forbids PID-19.
            check_round_trip(msg, &adt.to_er7(msg.delimiters()))?;
        }
        "ORU" => {
            let oru = riverside::OruR01::from_message(msg)?;
            for result in &oru.patient_result {
                for order in &result.order_observation {
                    for obs in &order.observation {
                        let obx = &obs.obx;
                        // OBX-5 is typed at run time from OBX-2.
                        let value = obx.observation_value.first().map(|v| {
                            match v.typed(&lossy(obx.value_type.code())) {
                                VariesValue::Nm(nm) => format!("{:?}", nm.to_f64().ok().flatten()),
                                VariesValue::Ft(ft) => ft.text().into_owned(),
                                other => format!("{other:?}"),
                            }
                        });
                        println!(
                            "ORU {}: {} = {} [{}]",
                            order
                                .obr
                                .placer_order_number
                                .as_ref()
                                .and_then(|p| p.entity_identifier.as_ref())
                                .map(|e| e.text())
                                .unwrap_or_default(),
                            obx.observation_identifier
                                .text
                                .as_ref()
                                .map(|t| t.text())
                                .unwrap_or_default(),
                            value.unwrap_or_default(),
                            lossy(obx.observation_result_status.code()),
                        );
                    }
                }
            }
            check_round_trip(msg, &oru.to_er7(msg.delimiters()))?;
        }
        other => println!("skipped a {other} message: no type for it in this profile"),
    }
    Ok(())
}

fn check_round_trip(msg: &Message<'_>, written: &[u8]) -> Result<(), String> {
    if written == msg.to_er7() {
        Ok(())
    } else {
        Err("typed write-back differs from the message".to_owned())
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_read_into_the_site_types_and_write_back() {
        for name in ["adt_a01.hl7", "oru_r01.hl7"] {
            let path = format!("{}/../messages/{name}", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap();
            for msg in parse_stream(&bytes) {
                let msg = msg.unwrap();
                handle(&msg).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
        }
    }

    #[test]
    fn the_site_shapes_the_types() {
        use hl7_runtime::typed::Message as _;
        // PID-3 is required and repeats (max 4), ZPX is an optional member.
        let meta = riverside::AdtA01::META;
        assert_eq!(meta.events, ["ADT^A01"]);
        let names: Vec<&str> = meta.members.iter().map(|m| m.node.name()).collect();
        let pid = names.iter().position(|n| *n == "PID").unwrap();
        assert_eq!(names[pid + 1], "ZPX");
        let hl7_runtime::typed::NodeMeta::Segment(pid_meta) = meta.members[pid].node else {
            panic!("PID is a segment")
        };
        assert!(pid_meta.field(19).is_none(), "PID-19 is X at Riverside");
        assert_eq!(pid_meta.field(3).unwrap().max, Some(4));
    }
}
