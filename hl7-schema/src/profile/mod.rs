//! Conformance profiles: the model, its loaders and their diagnostics.
//!
//! A [`Profile`] describes one or more messages constrained from a base HL7
//! version: usage (R, RE, O, C(a/b), X, B, W …), cardinality, lengths, data
//! type flavors, constant values, value-set bindings, machine-readable
//! predicates and conformance statements, and the Z segments, Z fields and
//! events a site adds.
//!
//! Three formats load into that one model:
//!
//! * HL7 Messaging Workbench XML (`HL7v2xConformanceProfile`) and the MWB
//!   table library — [`mwb`];
//! * NIST / IGAMT `ConformanceProfile` (`Profile.xml` plus `Constraints.xml`,
//!   `ValueSets.xml`, `ValueSetBindings.xml`, `Slicings.xml`,
//!   `CoConstraints.xml`) — [`nist`];
//! * the project's own TOML site profile, which layers constraints and Z
//!   segments on a base version — [`site`] (format described in
//!   `docs/site-profiles.md`).
//!
//! [`load`] detects the format. Loading never stops at the first problem:
//! every [`Diagnostic`] (with `file:line:col` and a [`Severity`]) comes back
//! at once, and real files that bend their own schemas still load, with
//! warnings.
//!
//! ```no_run
//! let loaded = hl7_schema::profile::load("profiles/sites/acme-adt.toml");
//! for d in &loaded.diagnostics {
//!     eprintln!("{d}");
//! }
//! if let Some(profile) = loaded.profile.as_ref().filter(|_| !loaded.has_errors()) {
//!     print!("{}", profile.tree());
//! }
//! ```

mod base;
mod common;
pub mod diag;
pub mod layer;
mod model;
pub mod mwb;
pub mod nist;
mod render;
pub mod site;
mod xml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use base::structure_profile;
pub use diag::{Diagnostic, DiagnosticKind, Location, Severity};
pub use layer::{BaseDefinitions, layer, version_base};
pub use model::*;
pub use render::Tree;

/// The outcome of loading a profile: the profile (when the input could be
/// understood at all) and every diagnostic, errors and warnings alike.
///
/// `profile` is `Some` even when there are errors, as long as the input was
/// readable: a `check` command wants the model *and* the full list. Use
/// [`Loaded::into_result`] when errors should be fatal.
#[derive(Debug)]
#[must_use]
pub struct Loaded {
    /// The profile, unless the input was unreadable.
    pub profile: Option<Profile>,
    /// All diagnostics, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub(crate) fn new(profile: Option<Profile>, diags: diag::Diags) -> Self {
        let mut diagnostics = diags.into_vec();
        sort_diagnostics(&mut diagnostics);
        Loaded {
            profile,
            diagnostics,
        }
    }

    pub(crate) fn from_vec(profile: Option<Profile>, mut diagnostics: Vec<Diagnostic>) -> Self {
        sort_diagnostics(&mut diagnostics);
        Loaded {
            profile,
            diagnostics,
        }
    }

    /// Is any diagnostic an error?
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Diagnostics of one severity.
    pub fn with_severity(&self, severity: Severity) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(move |d| d.severity() == severity)
    }

    /// The profile and its warnings/notes, or all diagnostics when there is
    /// an error (or no profile).
    pub fn into_result(self) -> Result<(Profile, Vec<Diagnostic>), ProfileError> {
        match self.profile {
            Some(p) if !self.diagnostics.iter().any(Diagnostic::is_error) => {
                Ok((p, self.diagnostics))
            }
            _ => Err(ProfileError {
                diagnostics: self.diagnostics,
            }),
        }
    }
}

/// Orders diagnostics by file (in order of first appearance), then line and
/// column; diagnostics without a position keep their place at the front of
/// their file.
pub(crate) fn sort_diagnostics(list: &mut [Diagnostic]) {
    let mut files: Vec<Option<PathBuf>> = Vec::new();
    for d in list.iter() {
        let f = d.file().map(Path::to_path_buf);
        if !files.contains(&f) {
            files.push(f);
        }
    }
    list.sort_by_key(|d| {
        let f = d.file().map(Path::to_path_buf);
        let idx = files.iter().position(|x| *x == f).unwrap_or(usize::MAX);
        (idx, d.line_col().unwrap_or((0, 0)))
    });
}

/// A profile that failed to load; carries every diagnostic.
#[derive(Debug)]
pub struct ProfileError {
    diagnostics: Vec<Diagnostic>,
}

impl ProfileError {
    /// Every diagnostic, errors first in file order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(f, "profile has {n} error{}", if n == 1 { "" } else { "s" })?;
        for d in self.errors() {
            write!(f, "\n{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProfileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.errors()
            .next()
            .map(|d| d as &(dyn std::error::Error + 'static))
    }
}

/// The format [`detect`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// MWB `HL7v2xConformanceProfile` XML.
    Mwb,
    /// MWB table library XML.
    MwbTables,
    /// A NIST `ConformanceProfile` file (sidecars are looked for beside it).
    NistProfile,
    /// A directory holding a NIST `Profile.xml` and its sidecars.
    NistDirectory,
    /// A NIST sidecar on its own (constraints, value sets, …).
    NistSidecar,
    /// A TOML site profile.
    SiteToml,
}

/// Detects the format of a file or directory without loading it: a
/// directory is a NIST set; `.toml` is a site profile; XML is told apart by
/// its root element.
pub fn detect(path: impl AsRef<Path>) -> Option<Format> {
    let path = path.as_ref();
    if path.is_dir() {
        return nist::find_sidecars(path)
            .profile
            .map(|_| Format::NistDirectory);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        return Some(Format::SiteToml);
    }
    let text = std::fs::read_to_string(path).ok()?;
    detect_str(&text)
}

/// Detects the format of XML or TOML text by its first element / shape.
pub fn detect_str(text: &str) -> Option<Format> {
    match root_element_name(text).as_deref() {
        Some("HL7v2xConformanceProfile") => Some(Format::Mwb),
        Some("Specification") => Some(Format::MwbTables),
        Some("ConformanceProfile") => Some(Format::NistProfile),
        Some(
            "ConformanceContext"
            | "ValueSetLibrary"
            | "ValueSetBindingsContext"
            | "CoConstraintContext"
            | "ProfileSlicing",
        ) => Some(Format::NistSidecar),
        Some(_) => None,
        None if text.trim_start().starts_with('<') => None,
        None => Some(Format::SiteToml),
    }
}

/// The name of the first element of an XML text (after the prolog and
/// comments), without a full parse.
fn root_element_name(text: &str) -> Option<String> {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        let start = rest.find('<')?;
        rest = &rest[start..];
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = &r[r.find('>')? + 1..];
        } else {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            let local = name.rsplit(':').next().unwrap_or("").to_owned();
            return Some(local);
        }
    }
}

/// Loads a profile from a file or directory, detecting the format.
///
/// * a directory → NIST set (`Profile.xml` + sidecars, names matched
///   case-insensitively);
/// * `*.toml` → site profile, layered on its base (see [`site`]);
/// * XML → MWB profile, MWB table library or NIST `ConformanceProfile` (with
///   sidecars of the usual names beside it).
///
/// Never panics on bad input; every problem is a [`Diagnostic`].
pub fn load(path: impl AsRef<Path>) -> Loaded {
    load_with(path, &LoadOptions::default())
}

/// Options for [`load_with`].
#[derive(Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Base definitions for TOML site profiles, used instead of resolving
    /// the profile's `hl7 = "…"` version. Lets a caller layer a site
    /// profile on any [`BaseDefinitions`] (a loaded base profile, custom
    /// definitions).
    pub base: Option<Arc<dyn BaseDefinitions + Send + Sync>>,
}

impl LoadOptions {
    /// Layer site profiles on this base.
    #[must_use]
    pub fn with_base(mut self, base: Arc<dyn BaseDefinitions + Send + Sync>) -> Self {
        self.base = Some(base);
        self
    }
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field(
                "base",
                &self.base.as_ref().map(|b| b.hl7_version().to_owned()),
            )
            .finish()
    }
}

/// [`load`] with options.
pub fn load_with(path: impl AsRef<Path>, options: &LoadOptions) -> Loaded {
    let path = path.as_ref();
    if path.is_dir() {
        return nist::load_dir(path);
    }
    let text = match read_text(path) {
        Ok(t) => t,
        Err(d) => {
            return Loaded {
                profile: None,
                diagnostics: vec![*d],
            };
        }
    };
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let format = if is_toml {
        Some(Format::SiteToml)
    } else {
        detect_str(&text)
    };
    match format {
        Some(Format::Mwb | Format::MwbTables) => mwb::load_str(&text, path),
        Some(Format::NistProfile) => nist::load_profile_file(path, &text),
        Some(Format::NistSidecar) => {
            let name = root_element_name(&text).unwrap_or_default();
            let d = Diagnostic::new(
                Severity::Error,
                DiagnosticKind::UnknownFormat,
                format!("<{name}> is a NIST sidecar file, not a profile"),
            )
            .at(Location {
                file: Arc::from(path),
                line: 1,
                column: 1,
            })
            .with_help("load the directory that holds Profile.xml, or Profile.xml itself");
            Loaded {
                profile: None,
                diagnostics: vec![d],
            }
        }
        Some(Format::SiteToml) => site::load_str(&text, path, options.base.clone()),
        Some(Format::NistDirectory) | None => {
            let what = root_element_name(&text).map_or_else(
                || "neither XML nor TOML".to_owned(),
                |n| format!("an XML file with root <{n}>"),
            );
            let d = Diagnostic::new(
                Severity::Error,
                DiagnosticKind::UnknownFormat,
                format!("not a conformance profile: {what}"),
            )
            .at(Location {
                file: Arc::from(path),
                line: 1,
                column: 1,
            })
            .with_help(
                "expected <HL7v2xConformanceProfile> (MWB), <ConformanceProfile> (NIST), a NIST directory, or a .toml site profile",
            );
            Loaded {
                profile: None,
                diagnostics: vec![d],
            }
        }
    }
}

/// Reads a file as UTF-8, with a diagnostic on failure.
pub(crate) fn read_text(path: &Path) -> Result<String, Box<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Box::new(
            Diagnostic::new(
                Severity::Error,
                DiagnosticKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
            .in_file(Arc::from(path))
            .with_source(e),
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
        let src = diag::SourceText::new(Arc::from(path), &valid);
        Box::new(
            Diagnostic::new(
                Severity::Error,
                DiagnosticKind::Encoding,
                "the file is not valid UTF-8".to_owned(),
            )
            .at(src.location(offset))
            .with_source(e.utf8_error()),
        )
    })
}

/// Resolves `rel` against the directory of `file`.
pub(crate) fn relative_to(file: &Path, rel: &str) -> PathBuf {
    let p = Path::new(rel);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        file.parent().unwrap_or(Path::new(".")).join(p)
    }
}

impl Profile {
    /// Adds the value sets of a vocabulary library, e.g. the `value_sets` of
    /// an MWB table library loaded with [`load`], so that `Table="0001"` on
    /// an element finds its codes through [`Profile::value_set`]. Sets the
    /// profile already has are kept; their IDs are returned.
    pub fn add_value_sets(&mut self, library: ValueSetLibrary) -> Vec<String> {
        let mut kept = Vec::new();
        for (id, set) in library.sets {
            match self.value_sets.sets.entry(id) {
                std::collections::btree_map::Entry::Occupied(e) => kept.push(e.key().clone()),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(set);
                }
            }
        }
        for id in library.no_validation {
            if !self.value_sets.no_validation.contains(&id) {
                self.value_sets.no_validation.push(id);
            }
        }
        kept
    }

    /// A `Display`able rendering of every message tree: groups indented,
    /// each line with name, usage, cardinality and data type, down to
    /// fields (and components with [`Tree::depth`]).
    pub fn tree(&self) -> Tree<'_> {
        Tree::new(self)
    }
}
