//! Segments a typed group or message does not model: kept in place for
//! write-back, and reported.

use std::borrow::Cow;

/// The segments of a group or message instance that its struct does not
/// model, each with the place it was read from.
///
/// Every typed group and message has one, marked `#[hl7(unmodeled)]`.
/// Parsing puts here the segments the structure does not expect (a Z
/// segment the profile does not declare, a segment out of order), and the
/// occurrences past a member's maximum (a second PID where the struct holds
/// one). Writing puts each back after the member occurrence it followed, so
/// a message parsed and not changed writes back byte for byte.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtraSegments<'a> {
    pub(crate) items: Vec<ExtraSegment<'a>>,
}

/// One kept segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtraSegment<'a> {
    /// Where it stood: after occurrence `.1` (from 1) of member `.0` (the
    /// index among the struct's members), or at the start when `None`.
    pub after: Option<(usize, u32)>,
    /// Its position in the message it was read from, from 0.
    pub position: usize,
    /// The segment as on the wire, without its terminator.
    pub raw: Cow<'a, [u8]>,
}

impl<'a> ExtraSegments<'a> {
    /// Nothing kept.
    pub fn new() -> Self {
        ExtraSegments::default()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The kept segments, in message order.
    pub fn iter(&self) -> impl Iterator<Item = &ExtraSegment<'a>> + '_ {
        self.items.iter()
    }

    /// Keeps `raw` after occurrence `after.1` of member `after.0`.
    pub fn push(
        &mut self,
        after: Option<(usize, u32)>,
        position: usize,
        raw: impl Into<Cow<'a, [u8]>>,
    ) {
        self.items.push(ExtraSegment {
            after,
            position,
            raw: raw.into(),
        });
    }

    /// The same, owning its bytes.
    pub fn into_owned(self) -> ExtraSegments<'static> {
        ExtraSegments {
            items: self
                .items
                .into_iter()
                .map(|e| ExtraSegment {
                    after: e.after,
                    position: e.position,
                    raw: Cow::Owned(e.raw.into_owned()),
                })
                .collect(),
        }
    }

    /// Writes the segments kept at `anchor`, each followed by a CR.
    pub(crate) fn write_at(&self, anchor: Option<(usize, u32)>, out: &mut Vec<u8>) {
        for e in self.items.iter().filter(|e| e.after == anchor) {
            out.extend_from_slice(&e.raw);
            out.push(b'\r');
        }
    }

    /// Writes the segments kept after member `member`'s occurrences
    /// beyond `written` (when the struct now holds fewer than were read).
    pub(crate) fn write_rest_of(&self, member: usize, written: u32, out: &mut Vec<u8>) {
        for e in &self.items {
            if let Some((m, n)) = e.after
                && m == member
                && n > written
            {
                out.extend_from_slice(&e.raw);
                out.push(b'\r');
            }
        }
    }
}
