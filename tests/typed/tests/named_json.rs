//! Named JSON two ways must agree: serde on the types generated from a
//! site profile, and `json::named` reading the same profile at run time
//! (what `hl7 convert --to json --profile` prints). Typed JSON also reads
//! back, and bad JSON is an error that names the JSON path.

use std::path::PathBuf;

use hl7_runtime::er7::{Message, parse_stream};
use hl7_runtime::json::named::NamedJson;
use hl7_runtime::typed::Message as _;
use hl7_typed_tests::{acme_adt, acme_oru};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(profile: &str) -> hl7_schema::profile::Profile {
    let (p, _) = hl7_schema::profile::load(root().join(profile))
        .into_result()
        .unwrap();
    p
}

#[test]
fn typed_serde_and_profile_walk_agree_on_the_samples() {
    let adt_profile = load("profiles/sites/acme-adt.toml");
    let oru_profile = load("profiles/sites/acme-oru.toml");
    let bytes = std::fs::read(root().join("examples/messages/adt_a01.hl7")).unwrap();
    let msg = Message::parse(&bytes).unwrap();
    let typed = acme_adt::AdtA01::from_message(&msg).unwrap();
    let from_types = serde_json::to_value(&typed).unwrap();
    let from_profile = NamedJson::new(&adt_profile).to_value(&msg).unwrap();
    assert_eq!(from_types, from_profile);
    assert_eq!(from_types["pid"]["patient_name"][0]["given_name"], "HANA");

    let bytes = std::fs::read(root().join("examples/messages/oru_r01.hl7")).unwrap();
    let msg = Message::parse(&bytes).unwrap();
    let typed = acme_oru::OruR01::from_message(&msg).unwrap();
    let from_types = serde_json::to_value(&typed).unwrap();
    let from_profile = NamedJson::new(&oru_profile).to_value(&msg).unwrap();
    assert_eq!(from_types, from_profile);
    // ACME sends one PATIENT_RESULT and one OBX-5 per OBX.
    let obs = &from_types["patient_result"]["order_observation"][0]["observation"];
    assert_eq!(obs[0]["obx"]["observation_value"], "212");
}

#[test]
fn typed_json_reads_back() {
    let bytes = std::fs::read(root().join("examples/messages/oru_r01.hl7")).unwrap();
    let msg = Message::parse(&bytes).unwrap();
    let typed = acme_oru::OruR01::from_message(&msg).unwrap();
    let json = serde_json::to_string(&typed).unwrap();
    let back: acme_oru::OruR01<'static> = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    // Written from JSON, the message reads into the same JSON again.
    let er7 = back.to_er7(msg.delimiters());
    let again = Message::parse(&er7).unwrap();
    let typed_again = acme_oru::OruR01::from_message(&again).unwrap();
    assert_eq!(serde_json::to_string(&typed_again).unwrap(), json);
    // Read back at run time from the profile (`hl7 convert --from json
    // --profile`), the same JSON gives the same ER7 as the typed message.
    let profile = load("profiles/sites/acme-oru.toml");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let named = NamedJson::new(&profile);
    assert_eq!(named.value_to_er7(&value).unwrap(), er7);
    assert_eq!(named.from_value(&value).unwrap().to_er7(), er7);
}

#[test]
fn profile_walk_reads_json_back_as_the_types_write_it() {
    let profile = load("profiles/sites/acme-adt.toml");
    let named = NamedJson::new(&profile);
    let bytes = std::fs::read(root().join("examples/messages/adt_a01.hl7")).unwrap();
    let msg = Message::parse(&bytes).unwrap();
    let json = named.to_value(&msg).unwrap();
    let typed: acme_adt::AdtA01<'static> =
        hl7_runtime::json::named::from_str(&json.to_string()).unwrap();
    let er7 = named.value_to_er7(&json).unwrap();
    assert_eq!(er7, typed.to_er7(msg.delimiters()));
    // And it reads into the same JSON again.
    let again = named.from_value(&json).unwrap();
    assert_eq!(named.to_value(&again).unwrap(), json);

    // Bad JSON: each error names its path.
    let cases: [(&str, serde_json::Value, &str); 4] = [
        (
            "/pid/patient_name/0/family_name/surname",
            serde_json::json!(5),
            "$.pid.patient_name[0].family_name.surname: expected a string, found a number",
        ),
        (
            "/pid/patient_name/0/given_name",
            serde_json::json!("A^B"),
            "$.pid.patient_name[0].given_name: the value holds `^`, a separator",
        ),
        (
            "/pid/zz_unknown",
            serde_json::json!("x"),
            "$.pid: unknown key `zz_unknown`: PID has no member by that name",
        ),
        (
            "/pid/patient_name",
            serde_json::json!({"family_name": {"surname": "DOE"}}),
            "$.pid.patient_name: expected an array, found an object",
        ),
    ];
    for (pointer, value, expected) in cases {
        let mut bad = json.clone();
        let slot = pointer.rsplit_once('/').unwrap();
        match bad.pointer_mut(slot.0).unwrap() {
            serde_json::Value::Object(m) => {
                m.insert(slot.1.to_owned(), value);
            }
            other => *other.get_mut(0).unwrap() = value,
        }
        let e = named.value_to_er7(&bad).unwrap_err().to_string();
        assert!(e.starts_with(expected), "{pointer}: {e}");
    }
    let mut missing = json.clone();
    missing.as_object_mut().unwrap().remove("pid");
    let e = named.value_to_er7(&missing).unwrap_err().to_string();
    assert!(
        e.starts_with("$: missing `pid`: PID is required in ADT_A01"),
        "{e}"
    );
}

#[test]
fn bad_json_names_the_path() {
    let bytes = std::fs::read(root().join("examples/messages/oru_r01.hl7")).unwrap();
    let msg = Message::parse(&bytes).unwrap();
    let typed = acme_oru::OruR01::from_message(&msg).unwrap();
    let mut json = serde_json::to_value(&typed).unwrap();
    json["patient_result"]["order_observation"][0]["observation"][1]["obx"]["set_id_obx"] =
        serde_json::json!(5);
    let text = json.to_string();
    let e = hl7_runtime::json::named::from_str::<acme_oru::OruR01<'static>>(&text).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("patient_result.order_observation[0].observation[1].obx.set_id_obx: invalid type: integer `5`"),
        "{e}"
    );
    let ok: acme_oru::OruR01<'static> =
        hl7_runtime::json::named::from_str(&serde_json::to_string(&typed).unwrap()).unwrap();
    assert_eq!(ok.to_er7(msg.delimiters()), typed.to_er7(msg.delimiters()));
}

#[test]
fn corpus_named_json_agrees_with_stock_types() {
    let Some(dir) = std::env::var_os("HL7_CORPUS") else {
        eprintln!("HL7_CORPUS is not set: skipping the external corpus");
        return;
    };
    let mut compared = 0;
    let mut files: Vec<_> = std::fs::read_dir(PathBuf::from(dir).join("messages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for msg in parse_stream(&bytes).flatten() {
            let get = |p: &str| msg.get(&p.parse().unwrap()).map(|v| v.text().into_owned());
            let (Some(v), Some(s)) = (get("MSH-12.1"), get("MSH-9.3")) else {
                continue;
            };
            if v != "2.5.1" || s != "ORU_R01" {
                continue;
            }
            let profile = hl7_schema::profile::structure_profile("2.5.1", "ORU_R01").unwrap();
            let Ok(typed) = hl7_runtime::stock::v2_5_1::OruR01::from_message(&msg) else {
                continue;
            };
            let from_types = serde_json::to_value(&typed).unwrap();
            let named = NamedJson::new(&profile);
            let from_profile = named.to_value(&msg).unwrap();
            assert_eq!(from_types, from_profile, "{}", f.display());
            // Back to ER7 at run time, as the typed message read from the
            // same JSON writes it.
            let back: hl7_runtime::stock::v2_5_1::OruR01<'static> =
                hl7_runtime::json::named::from_str(&from_profile.to_string()).unwrap();
            assert_eq!(
                named.value_to_er7(&from_profile).unwrap(),
                back.to_er7(msg.delimiters()),
                "{}",
                f.display()
            );
            compared += 1;
        }
    }
    eprintln!("corpus: {compared} ORU^R01 v2.5.1 messages compared");
    assert!(
        compared > 0,
        "the corpus has v2.5.1 ORU^R01 messages: none was compared"
    );
}
