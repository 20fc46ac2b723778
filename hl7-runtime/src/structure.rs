//! Matching a message's segments to the groups of a message structure.
//!
//! **API stability.** This module is shared by validation, the HL7 XML
//! encoding and typed messages. Its public API ([`Structure`], [`Node`],
//! [`SegmentSpec`], [`GroupSpec`], [`Matched`], [`Instance`], [`Item`],
//! [`match_segments`]) is stable: additions only, no renames or changed
//! signatures without agreeing with the users of the module first.
//!
//! # The description
//!
//! A [`Structure`] is a small, runtime-side description of a message
//! structure such as `ORU_R01`: a tree of segment references and groups, each
//! with a minimum and maximum number of occurrences. It can be written by
//! hand, generated, or (with the `validate` feature) built from a
//! conformance profile's message tree with [`Structure::from_message_def`].
//! The shape is kept exactly: child `i` of a node here is child `i` of the
//! profile node it came from, so callers can walk both trees side by side.
//!
//! # The matcher
//!
//! [`match_segments`] assigns each segment of a message, in order, to a
//! place in the structure, and returns the [`Matched`] tree: the message as a
//! root [`Instance`] whose [`Item`]s are segments, group repetitions (each
//! with its own `Instance`) and unexpected segments, **in message order**.
//! Nothing is dropped or reordered: walking the tree depth first visits
//! every segment position of the message exactly once, in order, which is
//! what an encoder needs.
//!
//! Each segment is placed by the first rule that succeeds, trying the
//! innermost open group first and then each enclosing one:
//!
//! 1. **strict**: the segment is the next occurrence of the current position
//!    (below its maximum), matches a later sibling segment, or *starts* a
//!    sibling group or a new repetition of the group just left (below its
//!    maximum). A group is started by any of its leading children up to and
//!    including its first required one (`[ORC] OBR` is started by ORC or OBR).
//! 2. **lenient**: as strict, but a group may be started by any segment it
//!    contains, so an OBX whose OBR is missing still lands in an
//!    `ORDER_OBSERVATION` (and the missing OBR is reported by the validator,
//!    not an "unexpected OBX").
//! 3. **overflow**: as strict, ignoring maximums: the segment becomes an
//!    excess occurrence (a fourth `NK1` where three are allowed, an `X`
//!    segment with maximum 0), which a validator reports as a cardinality or
//!    usage problem.
//! 4. otherwise the segment is **unexpected** ([`Item::Unexpected`]): it is
//!    kept in place in the innermost open group instance and the position in
//!    the structure does not move. Out-of-order segments and Z segments the
//!    structure does not declare end up here.
//!
//! Positions never move backwards, except by starting a new repetition of a
//! group, so matching is linear in the number of segments times the depth
//! and width of the structure.
//!
//! # Examples
//!
//! ```
//! use hl7_runtime::structure::{Item, Node, Structure, match_segments};
//!
//! // MSH [{ PID [{ OBX }] }]
//! let s = Structure::new("X_X", vec![
//!     Node::segment("MSH", 1, Some(1)),
//!     Node::group("PATIENT", 0, None, vec![
//!         Node::segment("PID", 1, Some(1)),
//!         Node::segment("OBX", 0, None),
//!     ]),
//! ]);
//! let m = match_segments(&s, ["MSH", "PID", "OBX", "ZZZ", "PID"]);
//! assert_eq!(m.root.items.len(), 3); // MSH and two PATIENT repetitions
//! let Item::Group { instance, repetition, .. } = &m.root.items[1] else { panic!() };
//! assert_eq!(*repetition, 1);
//! assert!(matches!(instance.items[2], Item::Unexpected { position: 3 }));
//! assert_eq!(m.unexpected, vec![3]);
//! ```

/// A message structure: a named tree of segment references and groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Structure {
    /// The structure id, e.g. `ORU_R01`.
    pub name: String,
    /// Top-level nodes in order (normally MSH first).
    pub children: Vec<Node>,
}

/// A node of a [`Structure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A segment at this position.
    Segment(SegmentSpec),
    /// A segment group.
    Group(GroupSpec),
}

/// A segment reference in a [`Structure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSpec {
    /// The three-character segment id, e.g. `PID`.
    pub id: String,
    /// Minimum occurrences at this position.
    pub min: u32,
    /// Maximum occurrences; `None` is unbounded.
    pub max: Option<u32>,
}

/// A group in a [`Structure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// The group name, e.g. `ORDER_OBSERVATION`.
    pub name: String,
    /// Minimum repetitions.
    pub min: u32,
    /// Maximum repetitions; `None` is unbounded.
    pub max: Option<u32>,
    /// Members in order.
    pub children: Vec<Node>,
}

impl Structure {
    /// A structure from its top-level nodes.
    pub fn new(name: impl Into<String>, children: Vec<Node>) -> Structure {
        Structure {
            name: name.into(),
            children,
        }
    }

    /// The structure of a profile message (MSH-9.3 structure name), same
    /// shape as `def.children`.
    ///
    /// Minimums and maximums are the declared cardinalities, except that a
    /// required (`R`) node has a minimum of at least one and a node that
    /// must not be sent (`X`, `W`) has a maximum of zero (it is still matched
    /// in place, as an excess occurrence, so it can be reported as present).
    #[cfg(feature = "validate")]
    pub fn from_message_def(def: &hl7_schema::profile::MessageDef) -> Structure {
        Structure::new(def.structure.clone(), nodes_from_profile(&def.children))
    }
}

#[cfg(feature = "validate")]
fn nodes_from_profile(nodes: &[hl7_schema::profile::StructureNode]) -> Vec<Node> {
    use hl7_schema::profile::{StructureNode, Usage};
    nodes
        .iter()
        .map(|n| {
            let card = n.cardinality();
            let (min, max) = match n.usage() {
                Usage::R => (card.min.max(1), card.max),
                Usage::X | Usage::W => (0, Some(0)),
                _ => (card.min, card.max),
            };
            match n {
                StructureNode::Segment(s) => Node::Segment(SegmentSpec {
                    id: s.name.clone(),
                    min,
                    max,
                }),
                StructureNode::Group(g) => Node::Group(GroupSpec {
                    name: g.name.clone(),
                    min,
                    max,
                    children: nodes_from_profile(&g.children),
                }),
            }
        })
        .collect()
}

impl Node {
    /// A segment reference.
    pub fn segment(id: impl Into<String>, min: u32, max: Option<u32>) -> Node {
        Node::Segment(SegmentSpec {
            id: id.into(),
            min,
            max,
        })
    }

    /// A group.
    pub fn group(name: impl Into<String>, min: u32, max: Option<u32>, children: Vec<Node>) -> Node {
        Node::Group(GroupSpec {
            name: name.into(),
            min,
            max,
            children,
        })
    }

    /// Minimum occurrences.
    pub fn min(&self) -> u32 {
        match self {
            Node::Segment(s) => s.min,
            Node::Group(g) => g.min,
        }
    }

    /// Maximum occurrences; `None` is unbounded.
    pub fn max(&self) -> Option<u32> {
        match self {
            Node::Segment(s) => s.max,
            Node::Group(g) => g.max,
        }
    }

    /// The segment id or group name.
    pub fn name(&self) -> &str {
        match self {
            Node::Segment(s) => &s.id,
            Node::Group(g) => &g.name,
        }
    }
}

/// The result of [`match_segments`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matched {
    /// The message itself as the root group instance.
    pub root: Instance,
    /// Positions (from 0) of the segments that fit nowhere, in order. They
    /// are also in the tree as [`Item::Unexpected`].
    pub unexpected: Vec<usize>,
}

/// One occurrence of a group (or the message): what was matched inside it,
/// in message order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Instance {
    /// Segments, group repetitions and unexpected segments, in message order.
    pub items: Vec<Item>,
}

/// One entry of an [`Instance`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A segment matched to child `child` of the enclosing node.
    Segment {
        /// Index of the [`Node::Segment`] among the enclosing node's children.
        child: usize,
        /// Position of the segment in the message, from 0.
        position: usize,
        /// Occurrence at this child within the enclosing instance, from 1.
        repetition: u32,
    },
    /// One repetition of the group that is child `child` of the enclosing
    /// node.
    Group {
        /// Index of the [`Node::Group`] among the enclosing node's children.
        child: usize,
        /// Repetition number within the enclosing instance, from 1.
        repetition: u32,
        /// What the repetition holds.
        instance: Instance,
    },
    /// A segment that fits nowhere, kept where it appeared.
    Unexpected {
        /// Position of the segment in the message, from 0.
        position: usize,
    },
}

impl Instance {
    /// Number of occurrences (segments or group repetitions) of `child`.
    pub fn count(&self, child: usize) -> u32 {
        self.items
            .iter()
            .filter(|i| match i {
                Item::Segment { child: c, .. } | Item::Group { child: c, .. } => *c == child,
                Item::Unexpected { .. } => false,
            })
            .count() as u32
    }

    /// The group repetitions of `child`, in order.
    pub fn repetitions(&self, child: usize) -> impl Iterator<Item = &Instance> + '_ {
        self.items.iter().filter_map(move |i| match i {
            Item::Group {
                child: c, instance, ..
            } if *c == child => Some(instance),
            _ => None,
        })
    }

    /// The message positions of the segments matched to `child`, in order.
    pub fn segments(&self, child: usize) -> impl Iterator<Item = usize> + '_ {
        self.items.iter().filter_map(move |i| match i {
            Item::Segment {
                child: c, position, ..
            } if *c == child => Some(*position),
            _ => None,
        })
    }

    /// The message position of the first segment in this instance (nested
    /// groups and unexpected segments included), if any.
    pub fn first_position(&self) -> Option<usize> {
        self.items.iter().find_map(|i| match i {
            Item::Segment { position, .. } | Item::Unexpected { position } => Some(*position),
            Item::Group { instance, .. } => instance.first_position(),
        })
    }

    /// Every segment position in this instance, depth first (= message
    /// order).
    pub fn positions(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.collect_positions(&mut out);
        out
    }

    fn collect_positions(&self, out: &mut Vec<usize>) {
        for i in &self.items {
            match i {
                Item::Segment { position, .. } | Item::Unexpected { position } => {
                    out.push(*position);
                }
                Item::Group { instance, .. } => instance.collect_positions(out),
            }
        }
    }
}

/// How hard to try when placing a segment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Strict,
    Lenient,
    Overflow,
}

/// Can `id` start a repetition of `g`?
///
/// Outside the overflow pass, members that must not occur (maximum 0) do not
/// start a group: an `X` segment is placed as an excess occurrence where it
/// stands rather than opening a new repetition of an enclosing group.
fn starts(g: &GroupSpec, id: &str, pass: Pass) -> bool {
    for c in &g.children {
        if pass != Pass::Overflow && c.max() == Some(0) {
            continue;
        }
        let hit = match c {
            Node::Segment(s) => same_id(&s.id, id),
            Node::Group(inner) => starts(inner, id, pass),
        };
        if hit {
            return true;
        }
        if pass != Pass::Lenient && c.min() > 0 {
            return false;
        }
    }
    false
}

/// Equal segment IDs, compared inline (they are three bytes; a library
/// `memcmp` call costs more than the comparison).
#[inline]
fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

fn below_max(count: u32, max: Option<u32>, pass: Pass) -> bool {
    pass == Pass::Overflow || max.is_none_or(|m| count < m)
}

/// An open group instance while matching.
struct Frame<'s> {
    children: &'s [Node],
    /// Index of the child last matched (`None` before the first).
    cursor: Option<usize>,
    /// Occurrences per child so far in this instance.
    counts: Vec<u32>,
    items: Vec<Item>,
    /// Which child of the parent this is, and its repetition number.
    child: usize,
    repetition: u32,
}

impl<'s> Frame<'s> {
    fn new(children: &'s [Node], child: usize, repetition: u32) -> Self {
        Frame {
            children,
            cursor: None,
            counts: vec![0; children.len()],
            items: Vec::new(),
            child,
            repetition,
        }
    }
}

/// What to do with a segment: at which frame, which child, and whether it
/// opens a group.
enum Place {
    Segment { frame: usize, child: usize },
    Group { frame: usize, child: usize },
}

fn find(stack: &[Frame<'_>], id: &str, pass: Pass) -> Option<Place> {
    for (d, f) in stack.iter().enumerate().rev() {
        let from = f.cursor.unwrap_or(0);
        for j in from..f.children.len() {
            let count = f.counts[j];
            match &f.children[j] {
                Node::Segment(s) if same_id(&s.id, id) && below_max(count, s.max, pass) => {
                    return Some(Place::Segment { frame: d, child: j });
                }
                Node::Group(g) if below_max(count, g.max, pass) && starts(g, id, pass) => {
                    return Some(Place::Group { frame: d, child: j });
                }
                _ => {}
            }
        }
    }
    None
}

/// Closes the top frame into an item of the one below it.
fn close(stack: &mut Vec<Frame<'_>>) {
    if stack.len() > 1
        && let Some(f) = stack.pop()
        && let Some(parent) = stack.last_mut()
    {
        parent.items.push(Item::Group {
            child: f.child,
            repetition: f.repetition,
            instance: Instance { items: f.items },
        });
    }
}

/// Places a segment into the (just opened) top frame, opening nested
/// groups down to the segment's position.
fn descend(stack: &mut Vec<Frame<'_>>, id: &str, position: usize, pass: Pass) {
    loop {
        let Some(f) = stack.last_mut() else { return };
        let children = f.children;
        // Only a fresh frame is descended into: search from its start.
        let found = children.iter().enumerate().find_map(|(j, c)| match c {
            Node::Segment(s) if same_id(&s.id, id) => Some((j, None)),
            Node::Group(g) if starts(g, id, pass) => Some((j, Some(&g.children))),
            _ => None,
        });
        match found {
            Some((j, None)) => {
                f.counts[j] += 1;
                f.cursor = Some(j);
                f.items.push(Item::Segment {
                    child: j,
                    position,
                    repetition: f.counts[j],
                });
                return;
            }
            Some((j, Some(inner))) => {
                f.counts[j] += 1;
                f.cursor = Some(j);
                let rep = f.counts[j];
                stack.push(Frame::new(inner, j, rep));
            }
            None => {
                // Cannot happen when `starts` said yes; keep the segment anyway.
                f.items.push(Item::Unexpected { position });
                return;
            }
        }
    }
}

/// Matches segment ids, in message order, to `structure`. See the
/// [module docs](self) for the rules.
///
/// `ids` are the segment ids as they appear (`msg.segments().map(|s|
/// s.id())` for a parsed message); positions in the result index this
/// sequence from 0.
///
/// # Panics
///
/// Never: the root frame is never closed while matching.
pub fn match_segments<'a, I>(structure: &Structure, ids: I) -> Matched
where
    I: IntoIterator<Item = &'a str>,
{
    let ids = ids.into_iter();
    let mut root = Frame::new(&structure.children, 0, 1);
    // The root holds most segments of a flat message: one allocation.
    root.items.reserve(ids.size_hint().0.min(256));
    let mut stack: Vec<Frame<'_>> = Vec::with_capacity(8);
    stack.push(root);
    let mut unexpected = Vec::new();
    for (position, id) in ids.enumerate() {
        let place = [Pass::Strict, Pass::Lenient, Pass::Overflow]
            .into_iter()
            .find_map(|p| find(&stack, id, p).map(|pl| (pl, p)));
        match place {
            Some((Place::Segment { frame, child }, _)) => {
                while stack.len() > frame + 1 {
                    close(&mut stack);
                }
                let f = stack.last_mut().expect("the root frame stays");
                f.counts[child] += 1;
                f.cursor = Some(child);
                f.items.push(Item::Segment {
                    child,
                    position,
                    repetition: f.counts[child],
                });
            }
            Some((Place::Group { frame, child }, pass)) => {
                while stack.len() > frame + 1 {
                    close(&mut stack);
                }
                let f = stack.last_mut().expect("the root frame stays");
                f.counts[child] += 1;
                f.cursor = Some(child);
                let rep = f.counts[child];
                let Node::Group(g) = &f.children[child] else {
                    unreachable!("a group place names a group")
                };
                let inner = &g.children;
                stack.push(Frame::new(inner, child, rep));
                // Inside the new repetition, the segment starts it; any
                // pass that found the group finds the member leniently.
                descend(
                    &mut stack,
                    id,
                    position,
                    if pass == Pass::Lenient {
                        Pass::Lenient
                    } else {
                        // Strict stays strict; overflow may open members
                        // with maximum 0.
                        pass
                    },
                );
            }
            None => {
                unexpected.push(position);
                if let Some(f) = stack.last_mut() {
                    f.items.push(Item::Unexpected { position });
                }
            }
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    let root = stack
        .pop()
        .map(|f| Instance { items: f.items })
        .unwrap_or_default();
    Matched { root, unexpected }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oru() -> Structure {
        Structure::new(
            "ORU_R01",
            vec![
                Node::segment("MSH", 1, Some(1)),
                Node::group(
                    "PATIENT_RESULT",
                    1,
                    None,
                    vec![
                        Node::group(
                            "PATIENT",
                            0,
                            Some(1),
                            vec![
                                Node::segment("PID", 1, Some(1)),
                                Node::segment("NTE", 0, None),
                            ],
                        ),
                        Node::group(
                            "ORDER_OBSERVATION",
                            1,
                            None,
                            vec![
                                Node::segment("ORC", 0, Some(1)),
                                Node::segment("OBR", 1, Some(1)),
                                Node::segment("NTE", 0, None),
                                Node::group(
                                    "OBSERVATION",
                                    0,
                                    None,
                                    vec![
                                        Node::segment("OBX", 1, Some(1)),
                                        Node::segment("NTE", 0, None),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
                Node::segment("DSC", 0, Some(1)),
            ],
        )
    }

    /// A compact rendering: `NAME(...)` for groups, ids for segments, `!ID`
    /// for unexpected ones.
    fn render(s: &[Node], inst: &Instance, ids: &[&str]) -> String {
        let mut out = Vec::new();
        for i in &inst.items {
            out.push(match i {
                Item::Segment { position, .. } => ids[*position].to_string(),
                Item::Unexpected { position } => format!("!{}", ids[*position]),
                Item::Group {
                    child, instance, ..
                } => {
                    let Node::Group(g) = &s[*child] else { panic!() };
                    format!("{}({})", g.name, render(&g.children, instance, ids))
                }
            });
        }
        out.join(" ")
    }

    fn run(ids: &[&str]) -> String {
        let s = oru();
        let m = match_segments(&s, ids.iter().copied());
        render(&s.children, &m.root, ids)
    }

    #[test]
    fn nested_groups_and_repetitions() {
        assert_eq!(
            run(&["MSH", "PID", "OBR", "OBX", "NTE", "OBX", "OBR", "OBX"]),
            "MSH PATIENT_RESULT(PATIENT(PID) ORDER_OBSERVATION(OBR OBSERVATION(OBX NTE) \
             OBSERVATION(OBX)) ORDER_OBSERVATION(OBR OBSERVATION(OBX)))"
        );
    }

    #[test]
    fn nte_goes_to_the_innermost_open_group() {
        assert_eq!(
            run(&["MSH", "PID", "NTE", "ORC", "OBR", "NTE"]),
            "MSH PATIENT_RESULT(PATIENT(PID NTE) ORDER_OBSERVATION(ORC OBR NTE))"
        );
    }

    #[test]
    fn a_second_pid_starts_a_new_patient_result() {
        assert_eq!(
            run(&["MSH", "PID", "OBR", "PID", "OBR", "DSC"]),
            "MSH PATIENT_RESULT(PATIENT(PID) ORDER_OBSERVATION(OBR)) \
             PATIENT_RESULT(PATIENT(PID) ORDER_OBSERVATION(OBR)) DSC"
        );
    }

    #[test]
    fn unexpected_segments_stay_in_place() {
        let ids = ["MSH", "PID", "ZPI", "OBR", "OBX", "ZBX", "OBX"];
        let s = oru();
        let m = match_segments(&s, ids);
        assert_eq!(m.unexpected, vec![2, 5]);
        assert_eq!(
            render(&s.children, &m.root, &ids),
            "MSH PATIENT_RESULT(PATIENT(PID !ZPI) ORDER_OBSERVATION(OBR OBSERVATION(OBX !ZBX) \
             OBSERVATION(OBX)))"
        );
        assert_eq!(m.root.positions(), (0..ids.len()).collect::<Vec<_>>());
    }

    #[test]
    fn an_obx_without_its_obr_is_placed_leniently() {
        assert_eq!(
            run(&["MSH", "PID", "OBX"]),
            "MSH PATIENT_RESULT(PATIENT(PID) ORDER_OBSERVATION(OBSERVATION(OBX)))"
        );
    }

    #[test]
    fn out_of_order_segment_is_unexpected() {
        assert_eq!(run(&["MSH", "DSC", "PID"]), "MSH DSC !PID");
    }

    #[test]
    fn excess_occurrences_are_kept_at_their_position() {
        let s = Structure::new(
            "ADT_X",
            vec![
                Node::segment("MSH", 1, Some(1)),
                Node::segment("NK1", 0, Some(2)),
                Node::segment("ZZZ", 0, Some(0)),
            ],
        );
        let ids = ["MSH", "NK1", "NK1", "NK1", "ZZZ"];
        let m = match_segments(&s, ids);
        assert!(m.unexpected.is_empty());
        assert_eq!(m.root.count(1), 3);
        assert_eq!(m.root.count(2), 1);
        assert_eq!(m.root.segments(1).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn a_forbidden_group_does_not_open_a_new_enclosing_repetition() {
        let s = Structure::new(
            "ORU_X",
            vec![
                Node::segment("MSH", 1, Some(1)),
                Node::group(
                    "ORDER",
                    1,
                    None,
                    vec![
                        Node::segment("OBR", 1, Some(1)),
                        Node::segment("OBX", 0, None),
                        Node::group(
                            "SPECIMEN",
                            0,
                            Some(0),
                            vec![Node::segment("SPM", 1, Some(1))],
                        ),
                    ],
                ),
            ],
        );
        let ids = ["MSH", "OBR", "OBX", "SPM", "OBR"];
        let m = match_segments(&s, ids);
        assert!(m.unexpected.is_empty());
        assert_eq!(m.root.count(1), 2);
        let first = m.root.repetitions(1).next().unwrap();
        assert_eq!(first.count(2), 1);
    }

    #[test]
    fn empty_and_garbage_inputs() {
        let s = oru();
        let m = match_segments(&s, std::iter::empty());
        assert!(m.root.items.is_empty());
        let m = match_segments(&s, ["AAA", "BBB"]);
        assert_eq!(m.unexpected, vec![0, 1]);
    }
}
