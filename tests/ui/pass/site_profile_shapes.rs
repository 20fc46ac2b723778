// The ACME ADT site profile shapes its types: PID-3 is required and
// repeats (a Vec), the Z segment ZPI is an optional member after PID with
// typed fields, and MSH-4 is required (not an Option).
use hl7_typed_tests::acme_adt::{AdtA01, CxPid3, HdMsh4, Zpi};

fn shapes(adt: &AdtA01<'_>) {
    let _ids: &Vec<CxPid3<'_>> = &adt.pid.patient_identifier_list;
    let _zpi: &Option<Zpi<'_>> = &adt.zpi;
    let _facility: &HdMsh4<'_> = &adt.msh.sending_facility;
    if let Some(zpi) = &adt.zpi {
        let _set_id: &hl7_runtime::types::Si<'_> = &zpi.set_id_zpi;
    }
}

fn main() {
    let _ = shapes;
}
