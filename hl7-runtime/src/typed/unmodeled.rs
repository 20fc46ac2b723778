//! Content a typed struct does not model: kept for write-back, and reported.

use std::borrow::Cow;
use std::fmt;

/// The parts of a segment or composite that its struct does not model.
///
/// Every typed struct has one, marked `#[hl7(unmodeled)]`. Parsing puts
/// here the fields (or components) at positions the struct does not
/// declare, and the repetitions past the first of a field the struct holds
/// as a single value; writing puts them back where they were. It also
/// remembers how many parts the input had, so trailing empty fields
/// (`PID|1||`) come back byte for byte.
///
/// It is 16 bytes, and allocates only when something is kept: every
/// composite value has one, and typed values are moved around whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Unmodeled<'a> {
    /// How many parts the input had (saturating).
    count: u32,
    /// The kept parts by position; `None` when there are none (never an
    /// empty `Vec`, so that equality holds).
    #[allow(
        clippy::box_collection,
        reason = "a thin pointer keeps the struct at 16 bytes"
    )]
    kept: Option<Box<Vec<(usize, Piece<'a>)>>>,
}

/// One kept part.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Piece<'a> {
    /// A whole part at an undeclared position.
    Whole(Cow<'a, [u8]>),
    /// The repetitions after the first, separators between them included.
    MoreRepetitions(Cow<'a, [u8]>),
}

impl<'a> Unmodeled<'a> {
    /// Nothing kept.
    pub fn new() -> Self {
        Unmodeled::default()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_none()
    }

    /// How many parts the input had.
    pub(crate) fn count(&self) -> usize {
        self.count as usize
    }

    pub(crate) fn set_count(&mut self, count: usize) {
        self.count = u32::try_from(count).unwrap_or(u32::MAX);
    }

    fn slice(&self) -> &[(usize, Piece<'a>)] {
        self.kept.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Keeps `piece` at `position`, after what is kept there already.
    pub(crate) fn insert(&mut self, position: usize, piece: Piece<'a>) {
        let parts = self.kept.get_or_insert_with(Box::default);
        let at = parts.partition_point(|(p, _)| *p <= position);
        parts.insert(at, (position, piece));
    }

    /// The kept parts as `(position, wire bytes)`. For repetitions past the
    /// first of a single-valued field the bytes are those repetitions,
    /// joined by the repetition separator.
    pub fn parts(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        self.slice().iter().map(|(p, piece)| match piece {
            Piece::Whole(b) | Piece::MoreRepetitions(b) => (*p, &**b),
        })
    }

    /// Keeps `raw` as the whole part at `position` (an undeclared one),
    /// replacing what was kept there.
    pub fn set(&mut self, position: usize, raw: impl Into<Cow<'a, [u8]>>) {
        if let Some(parts) = &mut self.kept {
            parts.retain(|(p, piece)| !(*p == position && matches!(piece, Piece::Whole(_))));
            if parts.is_empty() {
                self.kept = None;
            }
        }
        let raw = raw.into();
        if !raw.is_empty() {
            self.insert(position, Piece::Whole(raw));
        }
    }

    /// The whole part kept at `position`, if any.
    pub fn get(&self, position: usize) -> Option<&[u8]> {
        self.slice().iter().find_map(|(p, piece)| match piece {
            Piece::Whole(b) if *p == position => Some(&**b),
            _ => None,
        })
    }

    /// The same, owning its bytes.
    pub fn into_owned(self) -> Unmodeled<'static> {
        Unmodeled {
            count: self.count,
            kept: self.kept.map(|parts| {
                Box::new(
                    parts
                        .into_iter()
                        .map(|(p, piece)| {
                            let piece = match piece {
                                Piece::Whole(b) => Piece::Whole(Cow::Owned(b.into_owned())),
                                Piece::MoreRepetitions(b) => {
                                    Piece::MoreRepetitions(Cow::Owned(b.into_owned()))
                                }
                            };
                            (p, piece)
                        })
                        .collect(),
                )
            }),
        }
    }

    pub(crate) fn highest(&self) -> usize {
        self.slice().last().map_or(0, |(p, _)| *p)
    }

    pub(crate) fn whole(&self, position: usize) -> Option<&[u8]> {
        self.get(position)
    }

    pub(crate) fn more_repetitions(&self, position: usize) -> Option<&[u8]> {
        self.slice().iter().find_map(|(p, piece)| match piece {
            Piece::MoreRepetitions(b) if *p == position => Some(&**b),
            _ => None,
        })
    }

    pub(crate) fn report<'r>(&'r self, at: Location, out: &mut Vec<UnmodeledItem<'r>>) {
        for (p, piece) in self.slice() {
            let (kind, raw) = match piece {
                Piece::Whole(b) => (UnmodeledKind::Undeclared, &**b),
                Piece::MoreRepetitions(b) => (UnmodeledKind::MoreRepetitions, &**b),
            };
            out.push(UnmodeledItem {
                location: at.child(*p),
                kind,
                raw,
            });
        }
    }
}

/// Where a value sits in a message: `PID-5[2].1.3`. Orders by field,
/// repetition, component, subcomponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The segment id.
    pub segment: &'static str,
    /// The field number, from 1; 0 for the segment itself.
    pub field: usize,
    /// The repetition, from 1.
    pub repetition: usize,
    /// The component, from 1, if below field level.
    pub component: Option<usize>,
    /// The subcomponent, from 1, if below component level.
    pub subcomponent: Option<usize>,
}

impl Location {
    /// The segment itself.
    pub fn segment(id: &'static str) -> Self {
        Location {
            segment: id,
            field: 0,
            repetition: 1,
            component: None,
            subcomponent: None,
        }
    }

    /// Repetition `repetition` of field `field` of this segment.
    #[must_use]
    pub fn field(self, field: usize, repetition: usize) -> Self {
        Location {
            field,
            repetition,
            component: None,
            subcomponent: None,
            ..self
        }
    }

    /// One level down: field `n` of a segment, component `n` of a field,
    /// subcomponent `n` of a component.
    #[must_use]
    pub fn child(self, n: usize) -> Self {
        if self.field == 0 {
            self.field(n, 1)
        } else if self.component.is_none() {
            Location {
                component: Some(n),
                ..self
            }
        } else {
            Location {
                subcomponent: Some(n),
                ..self
            }
        }
    }
}

impl fmt::Display for Location {
    /// Path syntax: `PID-5`, `PID-5[2].1`, `PID-5.1.3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment)?;
        if self.field == 0 {
            return Ok(());
        }
        write!(f, "-{}", self.field)?;
        if self.repetition > 1 {
            write!(f, "[{}]", self.repetition)?;
        }
        if let Some(c) = self.component {
            write!(f, ".{c}")?;
        }
        if let Some(s) = self.subcomponent {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

/// What kind of unmodeled content an [`UnmodeledItem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnmodeledKind {
    /// A field or component at a position the struct does not declare.
    Undeclared,
    /// Repetitions past the first of a field the struct holds as one value.
    MoreRepetitions,
}

/// One piece of content a typed value does not model; see
/// [`Segment::unmodeled`](super::Segment::unmodeled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnmodeledItem<'r> {
    /// Where it is. For [`UnmodeledKind::MoreRepetitions`], the field.
    pub location: Location,
    /// What it is.
    pub kind: UnmodeledKind,
    /// Its wire bytes.
    pub raw: &'r [u8],
}

impl fmt::Display for UnmodeledItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            UnmodeledKind::Undeclared => "not modeled",
            UnmodeledKind::MoreRepetitions => "repetitions past the first not modeled",
        };
        write!(
            f,
            "{}: {what}: {:?}",
            self.location,
            String::from_utf8_lossy(self.raw)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_show_as_paths_and_sort_by_position() {
        let pid = Location::segment("PID");
        assert_eq!(pid.to_string(), "PID");
        assert_eq!(pid.child(5).to_string(), "PID-5");
        assert_eq!(pid.field(5, 2).child(1).to_string(), "PID-5[2].1");
        assert_eq!(pid.child(3).child(4).child(2).to_string(), "PID-3.4.2");
        let mut all = [
            pid.field(5, 2),
            pid.field(5, 1).child(3),
            pid.child(2),
            pid.field(5, 1),
        ];
        all.sort();
        let shown: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["PID-2", "PID-5", "PID-5.3", "PID-5[2]"]);
    }

    #[test]
    fn set_replaces_and_empty_removes() {
        let mut u = Unmodeled::new();
        assert!(u.is_empty());
        u.set(9, &b"x"[..]);
        u.set(4, &b"y"[..]);
        u.set(9, &b"z"[..]);
        assert_eq!(
            u.parts().collect::<Vec<_>>(),
            [(4, &b"y"[..]), (9, &b"z"[..])]
        );
        assert_eq!(u.get(9), Some(&b"z"[..]));
        u.set(4, Vec::new());
        assert_eq!(u.get(4), None);
        assert_eq!(u.highest(), 9);
        let owned: Unmodeled<'static> = u.clone().into_owned();
        assert_eq!(owned, u);
    }
}
