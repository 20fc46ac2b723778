// `#[derive(Table)]`: every mistake at once — a code given twice, a variant
// with no code, and no `other` variant to keep unknown codes.
#[derive(hl7_runtime::Table)]
#[hl7(table = "0103", datatype = ID)]
enum ProcessingId {
    #[hl7(code = "P")]
    Production,
    #[hl7(code = "P")]
    AlsoProduction,
    Training,
}

fn main() {}
