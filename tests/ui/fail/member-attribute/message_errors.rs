// Group and message derives: every mistake in one build, each on its
// tokens — a position key on a member (members take their place from
// declaration order), a malformed event, an `R` member held as an Option,
// and a missing `ExtraSegments` field.
use hl7_runtime::typed::{ExtraSegments, Unmodeled};
use hl7_runtime::types::St;

#[derive(hl7_runtime::Segment)]
#[hl7(id = "ZZA")]
struct Zza<'a> {
    #[hl7(field = 1)]
    a: Option<St<'a>>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

#[derive(hl7_runtime::Message)]
#[hl7(id = "ZZA_Z01", event = "ZZA-Z01")]
struct ZzaZ01<'a> {
    #[hl7(field = 1)]
    zza: Zza<'a>,
    #[hl7(usage = R)]
    again: Option<Zza<'a>>,
    #[hl7(unmodeled)]
    rest: ExtraSegments<'a>,
}

#[derive(hl7_runtime::Group)]
#[hl7(id = "GROUP")]
struct Group<'a> {
    zza: Zza<'a>,
}

fn main() {}
