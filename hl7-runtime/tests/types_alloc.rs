//! Typed access to primitive values allocates nothing when the value is
//! borrowed: not on success, not on error.

use hl7_runtime::er7::{Message, Path};
use hl7_runtime::types::{Dt, Dtm, Nm, Primitive, Si, St, Tm, Ts, check_format, check_value};

#[global_allocator]
static GLOBAL: densa_alloc::CountingAllocator = densa_alloc::CountingAllocator::system();

fn assert_no_alloc<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let (r, stats) = densa_alloc::measure(f);
    assert!(stats.is_zero(), "{what} allocated: {stats:?}");
    r
}

#[test]
fn typed_access_does_not_allocate() {
    assert!(densa_alloc::is_active());
    let nm = Nm::from_wire(b"-0013.250");
    let d = assert_no_alloc("NM decimal", || nm.decimal());
    assert_eq!(d.unwrap().unwrap().mantissa(), 13_250);
    assert_no_alloc("NM f64", || nm.to_f64().unwrap());
    assert_no_alloc("NM error", || Nm::from_wire(b"1e5").decimal().unwrap_err());
    assert_no_alloc("SI", || Si::from_wire(b"42").value().unwrap());
    assert_no_alloc("DT", || Dt::from_wire(b"20240229").date().unwrap());
    assert_no_alloc("TM", || Tm::from_wire(b"235959.1234-0500").time().unwrap());
    let dtm = Dtm::from_wire(b"20260131153045.12+0100");
    let t = assert_no_alloc("DTM", || dtm.datetime().unwrap().unwrap());
    assert_no_alloc("DTM unix", || t.to_unix().unwrap());
    assert_no_alloc("DTM error", || {
        Dtm::from_wire(b"20261301").datetime().unwrap_err()
    });
    assert_no_alloc("TS", || Ts::from_wire(b"20260101^D").datetime().unwrap());
    let checked = assert_no_alloc("check_format", || check_format("DTM", b"2026013115", b'^'));
    assert!(checked.is_ok(), "{checked:?}");
    assert_no_alloc("ST text without escapes", || {
        let st = St::from_wire(b"plain text");
        assert!(matches!(st.text(), std::borrow::Cow::Borrowed(_)));
    });
}

#[test]
fn from_value_borrows() {
    let msg = Message::parse(
        b"MSH|^~\\&|A||B||20260101120000+0100^S||ORU^R01|1|P|2.4\rOBX|1|NM|x||13.2\r",
    )
    .unwrap();
    let obx5: Path = "OBX-5".parse().unwrap();
    let msh7: Path = "MSH-7".parse().unwrap();
    let value = msg.get(&obx5).unwrap();
    let nm = assert_no_alloc("from_value", || Nm::from_value(&value));
    assert_no_alloc("validate", || nm.validate().unwrap());
    let time = msg.get(&msh7).unwrap();
    let ts = assert_no_alloc("TS from_value", || Ts::from_value(&time));
    assert_no_alloc("TS validate", || ts.validate().unwrap());
    assert_no_alloc("check_value", || check_value("TS", &time).unwrap());
}
