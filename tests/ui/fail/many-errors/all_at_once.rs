use hl7_runtime::typed::Unmodeled;
use hl7_runtime::types::St;

// Every mistake in one build, and no follow-on error where the type is used.
#[derive(hl7_runtime::Segment)]
#[hl7(id = "PID")]
struct Pid<'a> {
    #[hl7(field = 1, colour = red)]
    a: St<'a>,
    #[hl7(field = 1, usage = R)]
    b: Option<St<'a>>,
    #[hl7(field = 3, max = 2, max = 3)]
    c: St<'a>,
    #[hl7(unmodeled)]
    rest: Unmodeled<'a>,
}

fn uses<'a>(seg: &hl7_runtime::er7::Segment<'a>) -> Pid<'a> {
    use hl7_runtime::typed::Segment as _;
    Pid::from_er7(seg).unwrap()
}

fn main() {
    let _ = uses;
}
