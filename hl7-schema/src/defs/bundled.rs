//! The definition files bundled into the crate with `include_str!`, so that
//! build scripts and the command line need no paths.

/// The texts of one version's files.
pub(super) struct Files {
    pub(super) segments: &'static str,
    pub(super) datatypes: &'static str,
    pub(super) structures: &'static str,
    pub(super) events: &'static str,
    pub(super) tables: &'static str,
}

macro_rules! version {
    ($v:literal) => {
        (
            $v,
            Files {
                segments: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../profiles/versions/",
                    $v,
                    "/segments.txt"
                )),
                datatypes: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../profiles/versions/",
                    $v,
                    "/datatypes.txt"
                )),
                structures: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../profiles/versions/",
                    $v,
                    "/structures.txt"
                )),
                events: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../profiles/versions/",
                    $v,
                    "/events.txt"
                )),
                tables: include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../profiles/versions/",
                    $v,
                    "/tables.txt"
                )),
            },
        )
    };
}

/// Every bundled version, oldest first.
pub(super) static VERSIONS: [(&str, Files); 9] = [
    version!("2.3"),
    version!("2.3.1"),
    version!("2.4"),
    version!("2.5"),
    version!("2.5.1"),
    version!("2.6"),
    version!("2.7"),
    version!("2.7.1"),
    version!("2.8"),
];

/// Table values from HL7 Terminology, shared by all versions.
pub(super) static THO: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../profiles/versions/tables-tho.txt"
));
