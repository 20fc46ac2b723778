//! Support for the code `hl7-derive` generates. Not public API: anything
//! here may change in any release; hl7-runtime pins hl7-derive exactly.

use std::borrow::Cow;

use crate::er7::{self, Delimiters, Level, Parts, Value};
pub use crate::structure::{Instance, Item, Structure, match_segments};
use crate::typed::unmodeled::Piece;
pub use crate::typed::{
    Composite, CompositeMeta, DataType, ExtraSegments, FieldMeta, Group, GroupMeta, Leftover,
    Location, Member, MemberMeta, Message, MessageMeta, NodeMeta, Segment, SegmentMeta, Shape,
    TypedParseError, Unmodeled, UnmodeledItem, Usage,
};
#[cfg(feature = "serde")]
pub use ::serde;

pub use crate::__table_serde as table_serde;

/// serde for a `#[derive(Table)]` enum: the code as a string (nothing
/// without the `serde` feature).
#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __table_serde {
    ($t:ident, $lt:lifetime) => {
        impl<$lt> $crate::__private::serde::Serialize for $t<$lt> {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(&::std::string::String::from_utf8_lossy(self.code()))
            }
        }

        impl<'de, $lt> $crate::__private::serde::Deserialize<'de> for $t<$lt> {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                let s =
                    <::std::string::String as $crate::__private::serde::Deserialize>::deserialize(
                        d,
                    )?;
                ::core::result::Result::Ok(Self::from_code(s.into_bytes()))
            }
        }
    };
}

/// serde for a `#[derive(Table)]` enum: nothing without the `serde` feature.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __table_serde {
    ($t:ident, $lt:lifetime) => {};
}
pub use ::std::sync::OnceLock;

pub use ::core::option::Option::{self, None, Some};
pub use ::core::result::Result::{self, Ok};
pub use ::std::vec::Vec;

/// Fails unless `segment` has the id `id`.
pub fn check_id(segment: &er7::Segment<'_>, id: &'static str) -> Result<(), TypedParseError> {
    if segment.id() == id {
        Ok(())
    } else {
        Err(TypedParseError::wrong_segment(id, segment))
    }
}

/// Starts reading a segment: records its field count and keeps the
/// non-empty fields at positions not in `declared` (ascending).
pub fn begin_segment<'a>(
    segment: &er7::Segment<'a>,
    declared: &[usize],
    extra: &mut Unmodeled<'a>,
) {
    let count = segment.field_count();
    extra.set_count(count);
    // The common case, declared positions 1..=k (they are ascending and
    // distinct): only the fields past k can be undeclared.
    if declared.last().is_none_or(|&k| k == declared.len()) {
        for n in declared.len() + 1..=count {
            if let Some(value) = segment.field(n)
                && !value.is_empty()
            {
                extra.insert(n, Piece::Whole(Cow::Borrowed(value.raw())));
            }
        }
        return;
    }
    let mut next = 0;
    for (n, value) in segment.fields() {
        // Fields come in ascending order: walk `declared` alongside.
        while next < declared.len() && declared[next] < n {
            next += 1;
        }
        let is_declared = declared.get(next) == Some(&n);
        if !is_declared && !value.is_empty() {
            extra.insert(n, Piece::Whole(Cow::Borrowed(value.raw())));
        }
    }
}

/// Reads a composite's parts: part `n` goes to `slots[n - 1]` (up to the
/// last declared position), non-empty parts at undeclared positions (bit
/// `n - 1` of `declared` clear) are kept in `extra`, and the part count is
/// recorded. No allocation unless something is kept.
pub fn read_composite<'a>(
    value: &Value<'a>,
    slots: &mut [Option<Value<'a>>],
    declared: u128,
    extra: &mut Unmodeled<'a>,
) {
    let mut count = 0;
    for (i, part) in composite_parts(value).enumerate() {
        let n = i + 1;
        count = n;
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(part);
        }
        let is_declared = i < 128 && declared & (1u128 << i) != 0;
        if !is_declared && !part.is_empty() {
            extra.insert(n, Piece::Whole(Cow::Borrowed(part.raw())));
        }
    }
    extra.set_count(count);
}

/// The parts of a composite value: the components of a repetition, the
/// subcomponents of a component, a subcomponent itself.
pub fn composite_parts<'a>(value: &Value<'a>) -> Parts<'a> {
    match value.level() {
        Level::Field | Level::Repetition => value.components(),
        Level::Component => value.subcomponents(),
        Level::Subcomponent | Level::Literal => value.parts(),
    }
}

/// Keeps the repetitions after the first of a single-valued field; returns
/// the first.
fn first_repetition<'a>(value: Value<'a>, position: usize, extra: &mut Unmodeled<'a>) -> Value<'a> {
    let (first, more) = value.split_first_repetition();
    if let Some(more) = more {
        extra.insert(position, Piece::MoreRepetitions(Cow::Borrowed(more)));
    }
    first
}

/// A field held as `T`.
pub fn field_single<'a, T: DataType<'a>>(
    value: Option<Value<'a>>,
    position: usize,
    extra: &mut Unmodeled<'a>,
) -> T {
    match value {
        Some(v) => T::from_er7_value(&first_repetition(v, position, extra)),
        None => T::empty(),
    }
}

/// A field held as `Option<T>`: `None` when empty or absent.
pub fn field_optional<'a, T: DataType<'a>>(
    value: Option<Value<'a>>,
    position: usize,
    extra: &mut Unmodeled<'a>,
) -> Option<T> {
    match value {
        Some(v) if !v.is_empty() => Some(T::from_er7_value(&first_repetition(v, position, extra))),
        _ => None,
    }
}

/// A field held as `Vec<T>`: its repetitions, none when empty or absent.
pub fn field_repeated<'a, T: DataType<'a>>(value: Option<Value<'a>>) -> Vec<T> {
    match value {
        Some(v) if !v.is_empty() => {
            // One allocation of the right size: typed values can be large.
            let sep = v.delimiters().repetition;
            let n = if v.level() == Level::Field {
                memchr::memchr_iter(sep, v.raw()).count() + 1
            } else {
                1
            };
            let mut out = Vec::with_capacity(n);
            out.extend(v.repetitions().map(|r| T::from_er7_value(&r)));
            out
        }
        _ => Vec::new(),
    }
}

/// A component held as `T`.
pub fn component_single<'a, T: DataType<'a>>(value: Option<&Value<'a>>) -> T {
    value.map_or_else(T::empty, T::from_er7_value)
}

/// A component held as `Option<T>`.
pub fn component_optional<'a, T: DataType<'a>>(value: Option<&Value<'a>>) -> Option<T> {
    value.filter(|v| !v.is_empty()).map(T::from_er7_value)
}

/// The level of the parts of a value at `level`.
pub fn child_level(level: Level) -> Level {
    match level {
        Level::Field | Level::Repetition => Level::Component,
        _ => Level::Subcomponent,
    }
}

/// Writes the parts of a segment or composite, dropping trailing empty
/// parts the input did not have.
pub struct PartsWriter {
    sep: u8,
    leading: bool,
    header: bool,
    count: usize,
    n: usize,
    mark: usize,
    keep: usize,
}

impl PartsWriter {
    /// A segment's fields, after its id.
    pub fn segment(out: &[u8], id: &str, delims: &Delimiters, extra: &Unmodeled<'_>) -> Self {
        PartsWriter {
            sep: delims.field,
            leading: true,
            header: matches!(id, "MSH" | "FHS" | "BHS"),
            count: extra.count(),
            n: 0,
            mark: out.len(),
            keep: out.len(),
        }
    }

    /// A composite's parts, at `level`.
    pub fn composite(out: &[u8], level: Level, delims: &Delimiters, extra: &Unmodeled<'_>) -> Self {
        let sep = match level {
            Level::Field | Level::Repetition => delims.component,
            _ => delims.subcomponent,
        };
        PartsWriter {
            sep,
            leading: false,
            header: false,
            count: extra.count(),
            n: 0,
            mark: out.len(),
            keep: out.len(),
        }
    }

    /// How many parts to write: the input's, or up to the last declared or
    /// kept position.
    pub fn total(&self, declared_max: usize, extra: &Unmodeled<'_>) -> usize {
        self.count.max(declared_max).max(extra.highest())
    }

    /// Before part `n` (the next one).
    pub fn begin(&mut self, out: &mut Vec<u8>) {
        self.n += 1;
        // In a header segment, field 1 is the field separator itself and
        // field 2 follows it directly.
        let sep = if self.header {
            self.n > 2
        } else {
            self.leading || self.n > 1
        };
        if sep {
            out.push(self.sep);
        }
        self.mark = out.len();
    }

    /// After the part.
    pub fn end(&mut self, out: &[u8]) {
        if out.len() > self.mark || self.n <= self.count {
            self.keep = out.len();
        }
    }

    /// Drops the trailing empty parts.
    pub fn finish(self, out: &mut Vec<u8>) {
        out.truncate(self.keep);
    }
}

/// Writes the kept part at an undeclared position.
pub fn write_undeclared(extra: &Unmodeled<'_>, position: usize, out: &mut Vec<u8>) {
    if let Some(raw) = extra.whole(position) {
        out.extend_from_slice(raw);
    }
}

fn write_more_repetitions(
    extra: &Unmodeled<'_>,
    position: usize,
    out: &mut Vec<u8>,
    delims: &Delimiters,
) {
    if let Some(raw) = extra.more_repetitions(position) {
        out.push(delims.repetition);
        out.extend_from_slice(raw);
    }
}

/// Writes a field held as `T`.
pub fn write_field_single<'a, T: DataType<'a>>(
    value: &T,
    position: usize,
    extra: &Unmodeled<'_>,
    out: &mut Vec<u8>,
    delims: &Delimiters,
) {
    value.write_er7(out, delims, Level::Repetition);
    write_more_repetitions(extra, position, out, delims);
}

/// Writes a field held as `Option<T>`.
pub fn write_field_optional<'a, T: DataType<'a>>(
    value: &Option<T>,
    position: usize,
    extra: &Unmodeled<'_>,
    out: &mut Vec<u8>,
    delims: &Delimiters,
) {
    if let Some(v) = value {
        v.write_er7(out, delims, Level::Repetition);
    }
    write_more_repetitions(extra, position, out, delims);
}

/// Writes a field held as `Vec<T>`.
pub fn write_field_repeated<'a, T: DataType<'a>>(
    values: &[T],
    out: &mut Vec<u8>,
    delims: &Delimiters,
) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(delims.repetition);
        }
        v.write_er7(out, delims, Level::Repetition);
    }
}

/// Writes a component held as `T` or `Option<T>`.
pub fn write_component<'a, T: DataType<'a>>(
    value: Option<&T>,
    out: &mut Vec<u8>,
    delims: &Delimiters,
    level: Level,
) {
    if let Some(v) = value {
        v.write_er7(out, delims, level);
    }
}

/// Reports the unmodeled parts kept in `extra`.
pub fn report_extra<'r>(extra: &'r Unmodeled<'_>, at: Location, out: &mut Vec<UnmodeledItem<'r>>) {
    extra.report(at, out);
}

/// Reports what the values of a field or component do not model.
pub fn report_values<'r, 'a: 'r, T: DataType<'a> + 'r>(
    values: impl IntoIterator<Item = &'r T>,
    at: impl Fn(usize) -> Location,
    out: &mut Vec<UnmodeledItem<'r>>,
) {
    for (i, v) in values.into_iter().enumerate() {
        v.report_unmodeled(at(i + 1), out);
    }
}

/// `a == b`, in a `const` context.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// ---- Groups and messages -------------------------------------------------

/// The segment of a matched item, when it has the id `id`; otherwise the
/// error goes to `error`.
pub fn matched_segment<'a>(
    message: &'a er7::Message<'_>,
    item: &Item,
    id: &'static str,
    error: &mut Option<TypedParseError>,
) -> Option<er7::Segment<'a>> {
    let failure = match item {
        Item::Segment { position, .. } | Item::Unexpected { position } => {
            match message.segment(*position) {
                Some(seg) if seg.id() == id => return Some(seg),
                Some(seg) => TypedParseError::wrong_segment(id, &seg),
                None => TypedParseError::missing(id, "message", *position),
            }
        }
        Item::Group { instance, .. } => {
            TypedParseError::missing(id, "group", instance.first_position().unwrap_or(0))
        }
    };
    error.get_or_insert(failure);
    None
}

/// The instance of a matched group repetition; otherwise the error goes to
/// `error`.
pub fn matched_group<'i>(
    item: &'i Item,
    name: &'static str,
    error: &mut Option<TypedParseError>,
) -> Option<&'i Instance> {
    match item {
        Item::Group { instance, .. } => Some(instance),
        Item::Segment { position, .. } | Item::Unexpected { position } => {
            error.get_or_insert(TypedParseError::missing(name, "message", *position));
            None
        }
    }
}

/// The first error of a read, or the value.
pub fn finish<T>(value: T, error: Option<TypedParseError>) -> Result<T, TypedParseError> {
    error.map_or(Ok(value), Err)
}

/// Writes a segment member, followed by a CR.
pub fn write_segment_member<'a, T: Segment<'a>>(seg: &T, out: &mut Vec<u8>, delims: &Delimiters) {
    seg.write_er7(out, delims);
    out.push(b'\r');
}

/// Reports what a segment member does not model.
pub fn report_segment_member<'r, 'a: 'r, T: Segment<'a>>(seg: &'r T, out: &mut Vec<Leftover<'r>>) {
    out.extend(seg.unmodeled().into_iter().map(Leftover::Content));
}

/// The structure of a message type, built once.
pub fn structure_of(
    cell: &'static OnceLock<Structure>,
    meta: &'static MessageMeta,
) -> &'static Structure {
    cell.get_or_init(|| meta.structure())
}

/// Reading the members of one group or message instance, in member order.
///
/// The derives build a struct literal whose member expressions call the
/// reader in declaration order, so each typed value is built once, in
/// place: no `Option` slots, no `Result` per member. The matcher never
/// moves backwards within an instance, so the items of member `n` come
/// after those of members before it; items the struct cannot hold
/// (unexpected segments, occurrences past the first of a single member)
/// are kept, anchored after the member occurrence they follow.
pub struct Reader<'a, 'm, 'i, 'e> {
    message: &'a er7::Message<'m>,
    items: &'i [Item],
    next: usize,
    last: Option<(usize, u32)>,
    extra: ExtraSegments<'a>,
    first: usize,
    within: &'static str,
    error: &'e mut Option<TypedParseError>,
}

impl<'a, 'm, 'i, 'e> Reader<'a, 'm, 'i, 'e> {
    /// Starts reading `instance` of the group or structure `within`.
    pub fn new(
        message: &'a er7::Message<'m>,
        instance: &'i Instance,
        within: &'static str,
        error: &'e mut Option<TypedParseError>,
    ) -> Self {
        Reader {
            message,
            items: &instance.items,
            next: 0,
            last: None,
            extra: ExtraSegments::new(),
            first: instance.first_position().unwrap_or(0),
            within,
            error,
        }
    }

    /// The child index of an item, `None` for an unexpected segment.
    fn child_of(item: &Item) -> Option<usize> {
        match item {
            Item::Segment { child, .. } | Item::Group { child, .. } => Some(*child),
            Item::Unexpected { .. } => None,
        }
    }

    /// Keeps every segment of `item` as unmodeled, at the current place.
    fn keep(&mut self, item: &Item) {
        match item {
            Item::Segment { position, .. } | Item::Unexpected { position } => {
                self.keep_at(*position);
            }
            Item::Group { instance, .. } => {
                for p in instance.positions() {
                    self.keep_at(p);
                }
            }
        }
    }

    fn keep_at(&mut self, position: usize) {
        if let Some(seg) = self.message.segment(position) {
            self.extra
                .push(self.last, position, Cow::Borrowed(seg.raw()));
        }
    }

    /// Moves to the next item of member `child`: items before it that are
    /// unexpected (or, never from the matcher, of an earlier member) are
    /// kept. `None` when the next member item belongs to a later member.
    fn seek(&mut self, child: usize) -> Option<&'i Item> {
        while let Some(item) = self.items.get(self.next) {
            match Self::child_of(item) {
                Some(c) if c == child => {
                    self.next += 1;
                    return Some(item);
                }
                Some(c) if c > child => return None,
                _ => {
                    self.next += 1;
                    self.keep(item);
                }
            }
        }
        None
    }

    /// Keeps the further occurrences of a member held as one value.
    fn keep_more(&mut self, child: usize) {
        while let Some(item) = self.seek(child) {
            self.keep(item);
        }
    }

    /// Member `child` held as `Option<T>`: the first occurrence.
    pub fn optional<T: Member<'a>>(&mut self, child: usize) -> Option<T> {
        let item = self.seek(child)?;
        // Later occurrences first, so that the value is read last, straight
        // into the return slot.
        self.last = Some((child, 1));
        self.keep_more(child);
        Some(T::read_item(self.message, item, self.error))
    }

    /// Member `child` held as `T`: the first occurrence, or (with the error
    /// naming `name` recorded) an empty one.
    pub fn required<T: Member<'a>>(&mut self, child: usize, name: &'static str) -> T {
        if let Some(item) = self.seek(child) {
            self.last = Some((child, 1));
            self.keep_more(child);
            T::read_item(self.message, item, self.error)
        } else {
            let (first, within) = (self.first, self.within);
            self.error
                .get_or_insert_with(|| TypedParseError::missing(name, within, first));
            T::empty_member()
        }
    }

    /// Member `child` held as `Vec<T>`: every occurrence.
    pub fn many<T: Member<'a>>(&mut self, child: usize) -> Vec<T> {
        // One allocation of the right size: typed values are large, so
        // growing by doubling would copy them again and again.
        let n = self.items[self.next..]
            .iter()
            .map(Self::child_of)
            .take_while(|c| c.is_none_or(|c| c <= child))
            .filter(|&c| c == Some(child))
            .count();
        let mut out = Vec::with_capacity(n);
        while let Some(item) = self.seek(child) {
            out.push(T::read_item(self.message, item, self.error));
            self.last = Some((child, out.len() as u32));
        }
        out
    }

    /// What the struct does not model: the kept segments, and the items
    /// left after the last member.
    pub fn finish(mut self) -> ExtraSegments<'a> {
        while let Some(item) = self.items.get(self.next) {
            self.next += 1;
            self.keep(item);
        }
        self.extra
    }
}

/// Writes a member held as `T`, then the segments kept after it.
pub fn write_one<T>(
    value: Option<&T>,
    child: usize,
    extra: &ExtraSegments<'_>,
    out: &mut Vec<u8>,
    write: impl Fn(&T, &mut Vec<u8>),
) {
    let mut n = 0;
    if let Some(v) = value {
        write(v, out);
        n = 1;
        extra.write_at(Some((child, 1)), out);
    }
    extra.write_rest_of(child, n, out);
}

/// Writes a member held as `Vec<T>`, each occurrence followed by the
/// segments kept after it.
pub fn write_many<T>(
    values: &[T],
    child: usize,
    extra: &ExtraSegments<'_>,
    out: &mut Vec<u8>,
    write: impl Fn(&T, &mut Vec<u8>),
) {
    for (i, v) in values.iter().enumerate() {
        write(v, out);
        extra.write_at(Some((child, i as u32 + 1)), out);
    }
    extra.write_rest_of(child, values.len() as u32, out);
}

/// Writes the segments kept before any member.
pub fn write_leading(extra: &ExtraSegments<'_>, out: &mut Vec<u8>) {
    extra.write_at(None, out);
}

/// Reports the kept segments.
pub fn report_extra_segments<'r>(extra: &'r ExtraSegments<'_>, out: &mut Vec<Leftover<'r>>) {
    out.extend(extra.iter().map(|e| Leftover::Segment {
        position: e.position,
        raw: &e.raw,
    }));
}
