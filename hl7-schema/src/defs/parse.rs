//! Hand-written parsers of the line-oriented definition files
//! (`profiles/versions/FORMAT.md`). No regex, no allocation per column: a
//! version loads in a few milliseconds even in an unoptimised build.

use std::collections::HashMap;

use super::error::{DefsError, DefsErrorKind};
use super::model::{
    AnyScope, AnySegment, Cardinality, ComponentDef, DataTypeDef, DataTypeKind, Event, FieldDef,
    Group, MessageStructure, SegmentDef, SegmentRef, StructureNode, TableCode, TableKind, Usage,
};

type Result<T> = std::result::Result<T, DefsError>;

/// One record: the keyword and the rest of the line, with a cursor over the
/// space-separated columns.
struct Record<'a> {
    file: &'a str,
    line: usize,
    keyword: &'a str,
    rest: &'a str,
    /// The keyword as a static string, for error messages.
    kind: &'static str,
}

impl<'a> Record<'a> {
    fn err(&self, kind: DefsErrorKind) -> DefsError {
        DefsError::new(self.file, self.line, kind)
    }

    /// The next column.
    fn col(&mut self, column: &'static str) -> Result<&'a str> {
        if self.rest.is_empty() {
            return Err(self.err(DefsErrorKind::MissingColumn {
                record: self.kind,
                column,
            }));
        }
        let (head, tail) = self.rest.split_once(' ').unwrap_or((self.rest, ""));
        if head.is_empty() {
            return Err(self.err(DefsErrorKind::BadValue {
                column,
                value: String::new(),
                expected: "columns separated by one space",
            }));
        }
        self.rest = tail;
        Ok(head)
    }

    /// The rest of the line as a name (may contain spaces).
    fn name(&mut self, column: &'static str) -> Result<&'a str> {
        let name = self.rest;
        if name.is_empty() {
            return Err(self.err(DefsErrorKind::MissingColumn {
                record: self.kind,
                column,
            }));
        }
        self.rest = "";
        Ok(name)
    }

    /// Fails if columns are left.
    fn finish(&self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            let extra = self.rest.split(' ').next().unwrap_or_default();
            Err(self.err(DefsErrorKind::ExtraColumn {
                record: self.kind,
                extra: extra.to_owned(),
            }))
        }
    }

    fn bad(&self, column: &'static str, value: &str, expected: &'static str) -> DefsError {
        self.err(DefsErrorKind::BadValue {
            column,
            value: value.to_owned(),
            expected,
        })
    }

    fn number<T: std::str::FromStr>(&mut self, column: &'static str) -> Result<T> {
        let s = self.col(column)?;
        s.parse()
            .map_err(|_| self.bad(column, s, "a non-negative number"))
    }

    fn opt_number(&mut self, column: &'static str) -> Result<Option<u32>> {
        let s = self.col(column)?;
        if s == "-" {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .map_err(|_| self.bad(column, s, "a number or -"))
    }

    fn opt_text(&mut self, column: &'static str) -> Result<Option<String>> {
        let s = self.col(column)?;
        Ok((s != "-").then(|| s.to_owned()))
    }

    fn table(&mut self) -> Result<Option<String>> {
        let s = self.col("table")?;
        if s == "-" {
            return Ok(None);
        }
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Some(s.to_owned()))
        } else {
            Err(self.bad("table", s, "a four-digit table number or -"))
        }
    }

    fn usage(&mut self) -> Result<Usage> {
        let s = self.col("usage")?;
        s.parse()
            .map_err(|()| self.bad("usage", s, "R, RE, O, C, X, B, W or NA"))
    }

    fn opt_usage(&mut self) -> Result<Option<Usage>> {
        let s = self.col("usage")?;
        if s == "-" {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .map_err(|()| self.bad("usage", s, "R, RE, O, C, X, B, W, NA or -"))
    }

    fn cardinality(&mut self) -> Result<Cardinality> {
        let s = self.col("cardinality")?;
        let bad = || self.bad("cardinality", s, "min..max with max a number or *");
        let (lo, hi) = s.split_once("..").ok_or_else(bad)?;
        let min = lo.parse().map_err(|_| bad())?;
        let max = if hi == "*" {
            None
        } else {
            Some(hi.parse().map_err(|_| bad())?)
        };
        if max.is_some_and(|m| m < min) {
            return Err(bad());
        }
        Ok(Cardinality { min, max })
    }
}

/// Iterates the records of a file, skipping comments and blank lines.
fn records<'a>(file: &'a str, text: &'a str) -> impl Iterator<Item = Record<'a>> {
    text.lines().enumerate().filter_map(move |(i, raw)| {
        let line = raw.trim_start().trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        Some(Record {
            file,
            line: i + 1,
            keyword,
            rest,
            kind: "",
        })
    })
}

fn unknown(r: &Record<'_>) -> DefsError {
    r.err(DefsErrorKind::UnknownRecord(r.keyword.to_owned()))
}

/// Checks that ids come in strictly increasing order.
fn check_order(r: &Record<'_>, what: &'static str, prev: Option<&str>, id: &str) -> Result<()> {
    match prev {
        Some(p) if p == id => Err(r.err(DefsErrorKind::Duplicate {
            what,
            id: id.to_owned(),
        })),
        Some(p) if p > id => Err(r.err(DefsErrorKind::Unsorted {
            what,
            id: id.to_owned(),
        })),
        _ => Ok(()),
    }
}

fn check_position(r: &Record<'_>, owner: &str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(r.err(DefsErrorKind::NonContiguous {
            owner: owner.to_owned(),
            expected,
            found,
        }))
    }
}

pub(super) fn segments(file: &str, text: &str) -> Result<Vec<SegmentDef>> {
    let mut out: Vec<SegmentDef> = Vec::new();
    for mut r in records(file, text) {
        match r.keyword {
            "SEG" => {
                r.kind = "SEG";
                let id = r.col("segment id")?;
                let name = r.name("segment name")?;
                check_order(&r, "segment", out.last().map(|s| s.id.as_str()), id)?;
                out.push(SegmentDef {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    fields: Vec::new(),
                });
            }
            "F" => {
                r.kind = "F";
                let Some(seg) = out.last_mut() else {
                    return Err(r.err(DefsErrorKind::Orphan {
                        record: "F",
                        parent: "SEG",
                    }));
                };
                let position: usize = r.number("position")?;
                check_position(&r, &seg.id, seg.fields.len() + 1, position)?;
                let datatype = r.opt_text("data type")?;
                let usage = r.usage()?;
                let repetition = r.cardinality()?;
                let length = r.opt_number("length")?;
                let table = r.table()?;
                let item = r.opt_text("item")?;
                let name = r.name("field name")?;
                seg.fields.push(FieldDef {
                    position,
                    name: name.to_owned(),
                    datatype,
                    usage,
                    repetition,
                    length,
                    table,
                    item,
                });
            }
            _ => return Err(unknown(&r)),
        }
    }
    Ok(out)
}

pub(super) fn datatypes(file: &str, text: &str) -> Result<Vec<DataTypeDef>> {
    let mut out: Vec<DataTypeDef> = Vec::new();
    for mut r in records(file, text) {
        match r.keyword {
            "DT" => {
                r.kind = "DT";
                let code = r.col("data type code")?;
                let kind = match r.col("kind")? {
                    "P" => DataTypeKind::Primitive,
                    "C" => DataTypeKind::Composite,
                    other => return Err(r.bad("kind", other, "P (primitive) or C (composite)")),
                };
                let name = r.name("data type name")?;
                check_order(&r, "data type", out.last().map(|d| d.code.as_str()), code)?;
                out.push(DataTypeDef {
                    code: code.to_owned(),
                    name: name.to_owned(),
                    kind,
                    components: Vec::new(),
                });
            }
            "C" => {
                r.kind = "C";
                let Some(dt) = out.last_mut() else {
                    return Err(r.err(DefsErrorKind::Orphan {
                        record: "C",
                        parent: "DT",
                    }));
                };
                if dt.kind == DataTypeKind::Primitive {
                    return Err(r.err(DefsErrorKind::Orphan {
                        record: "C",
                        parent: "composite DT",
                    }));
                }
                let position: usize = r.number("position")?;
                check_position(&r, &dt.code, dt.components.len() + 1, position)?;
                let datatype = r.opt_text("data type")?;
                let usage = r.opt_usage()?;
                let length = r.opt_number("length")?;
                let table = r.table()?;
                let name = r.name("component name")?;
                dt.components.push(ComponentDef {
                    position,
                    name: name.to_owned(),
                    datatype,
                    usage,
                    length,
                    table,
                });
            }
            _ => return Err(unknown(&r)),
        }
    }
    Ok(out)
}

/// An open group while parsing structures: (record line, group).
type Open = (usize, Group);

pub(super) fn structures(file: &str, text: &str) -> Result<Vec<MessageStructure>> {
    let mut out: Vec<MessageStructure> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut last_line = 0;

    // Closes the structure being built (checks it is complete).
    let close = |out: &mut Vec<MessageStructure>, stack: &[Open], line: usize| -> Result<()> {
        if let Some((_, g)) = stack.last() {
            return Err(DefsError::new(
                file,
                line,
                DefsErrorKind::UnclosedGroup(g.name.clone()),
            ));
        }
        if let Some(s) = out.last()
            && s.children.is_empty()
        {
            return Err(DefsError::new(
                file,
                line,
                DefsErrorKind::EmptyStructure(s.id.clone()),
            ));
        }
        Ok(())
    };

    for mut r in records(file, text) {
        last_line = r.line;
        let node = match r.keyword {
            "MSG" => {
                r.kind = "MSG";
                close(&mut out, &stack, r.line)?;
                let id = r.col("structure id")?;
                r.finish()?;
                check_order(
                    &r,
                    "message structure",
                    out.last().map(|s| s.id.as_str()),
                    id,
                )?;
                out.push(MessageStructure {
                    id: id.to_owned(),
                    children: Vec::new(),
                });
                continue;
            }
            "END" => {
                r.kind = "END";
                r.finish()?;
                let Some((_, g)) = stack.pop() else {
                    return Err(r.err(DefsErrorKind::UnbalancedEnd));
                };
                if g.children.is_empty() {
                    return Err(r.err(DefsErrorKind::EmptyGroup(g.name)));
                }
                StructureNode::Group(g)
            }
            "GRP" | "CHOICE" => {
                r.kind = if r.keyword == "GRP" { "GRP" } else { "CHOICE" };
                let name = r.col("group name")?.to_owned();
                let cardinality = r.cardinality()?;
                r.finish()?;
                stack.push((
                    r.line,
                    Group {
                        name,
                        cardinality,
                        choice: r.keyword == "CHOICE",
                        children: Vec::new(),
                    },
                ));
                if out.is_empty() {
                    return Err(r.err(DefsErrorKind::Orphan {
                        record: r.kind,
                        parent: "MSG",
                    }));
                }
                continue;
            }
            "SEG" => {
                r.kind = "SEG";
                let id = r.col("segment id")?.to_owned();
                let cardinality = r.cardinality()?;
                r.finish()?;
                StructureNode::Segment(SegmentRef { id, cardinality })
            }
            "ANY" => {
                r.kind = "ANY";
                let scope = match r.col("scope")? {
                    "ALL" => AnyScope::All,
                    "Z" => AnyScope::Z,
                    other => return Err(r.bad("scope", other, "ALL or Z")),
                };
                let cardinality = r.cardinality()?;
                r.finish()?;
                StructureNode::Any(AnySegment { scope, cardinality })
            }
            _ => return Err(unknown(&r)),
        };
        if let Some((_, g)) = stack.last_mut() {
            g.children.push(node);
        } else if let Some(s) = out.last_mut() {
            s.children.push(node);
        } else {
            return Err(r.err(DefsErrorKind::Orphan {
                record: r.kind,
                parent: "MSG",
            }));
        }
    }
    if let Some((line, g)) = stack.last() {
        return Err(DefsError::new(
            file,
            *line,
            DefsErrorKind::UnclosedGroup(g.name.clone()),
        ));
    }
    close(&mut out, &stack, last_line)?;
    Ok(out)
}

pub(super) fn events(file: &str, text: &str) -> Result<Vec<Event>> {
    let mut out: Vec<Event> = Vec::new();
    for mut r in records(file, text) {
        if r.keyword != "EV" {
            return Err(unknown(&r));
        }
        r.kind = "EV";
        let message_type = r.col("message type")?;
        let trigger = r.col("trigger event")?;
        let structure = r.col("structure id")?;
        r.finish()?;
        if let Some(p) = out.last() {
            let prev = (p.message_type.as_str(), p.trigger.as_str());
            let id = format!("{message_type}^{trigger}");
            if prev == (message_type, trigger) {
                return Err(r.err(DefsErrorKind::Duplicate { what: "event", id }));
            }
            if prev > (message_type, trigger) {
                return Err(r.err(DefsErrorKind::Unsorted { what: "event", id }));
            }
        }
        out.push(Event {
            message_type: message_type.to_owned(),
            trigger: trigger.to_owned(),
            structure: structure.to_owned(),
        });
    }
    Ok(out)
}

/// A table header of a version's `tables.txt`.
pub(super) struct TableHeader {
    pub(super) id: String,
    pub(super) kind: TableKind,
    pub(super) name: String,
}

fn kind(r: &mut Record<'_>) -> Result<TableKind> {
    let s = r.col("table kind")?;
    TableKind::from_code(s).ok_or_else(|| {
        r.bad(
            "table kind",
            s,
            "HL7, User, External, HL7-EXT, Imported, Unused or -",
        )
    })
}

pub(super) fn tables(file: &str, text: &str) -> Result<Vec<TableHeader>> {
    let mut out: Vec<TableHeader> = Vec::new();
    for mut r in records(file, text) {
        if r.keyword != "TBL" {
            return Err(unknown(&r));
        }
        r.kind = "TBL";
        let id = r
            .table()?
            .ok_or_else(|| r.bad("table", "-", "a table number"))?;
        let kind = kind(&mut r)?;
        let name = r.name("table name")?;
        check_order(&r, "table", out.last().map(|t| t.id.as_str()), &id)?;
        out.push(TableHeader {
            id,
            kind,
            name: name.to_owned(),
        });
    }
    Ok(out)
}

/// Values of `tables-tho.txt`, by table number.
pub(super) fn tho(file: &str, text: &str) -> Result<HashMap<String, Vec<TableCode>>> {
    let mut out: HashMap<String, Vec<TableCode>> = HashMap::new();
    let mut current: Option<(String, Vec<TableCode>)> = None;
    let mut prev_id: Option<String> = None;
    for mut r in records(file, text) {
        match r.keyword {
            "TBL" => {
                r.kind = "TBL";
                let id = r
                    .table()?
                    .ok_or_else(|| r.bad("table", "-", "a table number"))?;
                kind(&mut r)?;
                r.col("code system")?;
                r.name("table name")?;
                check_order(&r, "table", prev_id.as_deref(), &id)?;
                prev_id = Some(id.clone());
                if let Some((k, v)) = current.replace((id, Vec::new())) {
                    out.insert(k, v);
                }
            }
            "V" => {
                r.kind = "V";
                let Some((_, codes)) = current.as_mut() else {
                    return Err(r.err(DefsErrorKind::Orphan {
                        record: "V",
                        parent: "TBL",
                    }));
                };
                let raw = r.col("code")?;
                let code = unescape(raw)
                    .ok_or_else(|| r.bad("code", raw, "%20, %09 or %25 escapes only"))?;
                let status = r.col("status")?.to_owned();
                let deprecated_in = r.opt_text("deprecated in")?;
                let display = r.name("display name")?.to_owned();
                codes.push(TableCode {
                    code,
                    display,
                    status,
                    deprecated_in,
                });
            }
            _ => return Err(unknown(&r)),
        }
    }
    if let Some((k, v)) = current {
        out.insert(k, v);
    }
    Ok(out)
}

/// Undoes the code escaping of `tables-tho.txt`.
fn unescape(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let esc = rest.get(i..i + 3)?;
        out.push(match esc {
            "%20" => ' ',
            "%09" => '\t',
            "%25" => '%',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_codes() {
        assert_eq!(unescape("ISO%20IR6").as_deref(), Some("ISO IR6"));
        assert_eq!(unescape("100%25").as_deref(), Some("100%"));
        assert_eq!(unescape("plain").as_deref(), Some("plain"));
        assert_eq!(unescape("bad%2"), None);
        assert_eq!(unescape("bad%41"), None);
    }

    #[test]
    fn cardinality_column() {
        let segs = segments("t", "SEG ZZZ Test\nF 1 ST O 0..* - - - Name\n").unwrap();
        assert_eq!(segs[0].fields[0].repetition.max, None);
        let err = segments("t", "SEG ZZZ Test\nF 1 ST O 2..1 - - - Name\n").unwrap_err();
        assert_eq!(err.line(), 2);
        assert!(err.to_string().contains("cardinality"), "{err}");
    }
}
