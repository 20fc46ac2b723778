//! A text rendering of a profile's message trees (for `hl7 profile show`).

use std::fmt::{self, Write as _};

use super::model::{ElementDef, MessageDef, Profile, StructureNode};

/// Renders every message of a profile as an indented tree.
///
/// ```text
/// ADT^A01 (ADT_A01)
///   MSH                  R   [1..1]  Message Header
///     MSH-1  Field Separator            R   [1..1]  ST
///   ...
///   [PROCEDURE]          O   [0..*]
///     PR1                R   [1..1]  Procedures
/// ```
///
/// Groups are shown in brackets and indent their members. With
/// [`Tree::depth`] 1 (the default) fields are listed under each segment;
/// 2 adds components, 3 sub-components; 0 shows segments only.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Tree<'a> {
    profile: &'a Profile,
    depth: u8,
    message: Option<&'a str>,
}

impl<'a> Tree<'a> {
    pub(crate) fn new(profile: &'a Profile) -> Self {
        Tree {
            profile,
            depth: 1,
            message: None,
        }
    }

    /// How far below segments to go: 0 segments only, 1 fields, 2
    /// components, 3 sub-components.
    pub fn depth(mut self, depth: u8) -> Self {
        self.depth = depth;
        self
    }

    /// Only the message matching `key` (see [`MessageDef::matches`]).
    pub fn message(mut self, key: &'a str) -> Self {
        self.message = Some(key);
        self
    }
}

impl fmt::Display for Tree<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for m in &self.profile.messages {
            if let Some(key) = self.message
                && !m.matches(key)
            {
                continue;
            }
            if !first {
                writeln!(f)?;
            }
            first = false;
            self.message_tree(f, m)?;
        }
        Ok(())
    }
}

impl Tree<'_> {
    fn message_tree(&self, f: &mut fmt::Formatter<'_>, m: &MessageDef) -> fmt::Result {
        write!(f, "{} ({})", m.message_type(), m.structure)?;
        if m.site_defined {
            f.write_str("  site-defined")?;
        }
        if let Some(d) = &m.description {
            write!(f, "  {d}")?;
        }
        writeln!(f)?;
        self.nodes(f, &m.children, 1)
    }

    fn nodes(
        &self,
        f: &mut fmt::Formatter<'_>,
        nodes: &[StructureNode],
        indent: usize,
    ) -> fmt::Result {
        for n in nodes {
            let pad = "  ".repeat(indent);
            match n {
                StructureNode::Group(g) => {
                    let label = format!("{pad}[{}]", g.name);
                    writeln!(
                        f,
                        "{label:<28} {:<7} {}",
                        g.usage.to_string(),
                        g.cardinality
                    )?;
                    self.nodes(f, &g.children, indent + 1)?;
                }
                StructureNode::Segment(s) => {
                    let def = self.profile.segment(&s.segment);
                    let mut label = format!("{pad}{}", s.name);
                    if s.segment != s.name {
                        let _ = write!(label, " <{}>", s.segment);
                    }
                    let desc = def.and_then(|d| d.description.as_deref()).unwrap_or("");
                    let z = if s.site_defined || def.is_some_and(|d| d.site_defined) {
                        "  (site)"
                    } else {
                        ""
                    };
                    writeln!(
                        f,
                        "{label:<28} {:<7} {:<8} {desc}{z}",
                        s.usage.to_string(),
                        s.cardinality.to_string()
                    )?;
                    if self.depth >= 1
                        && let Some(def) = def
                    {
                        for field in &def.fields {
                            let path = format!("{}-{}", s.name, field.position);
                            self.element(f, field, &path, indent + 1, 1)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn element(
        &self,
        f: &mut fmt::Formatter<'_>,
        e: &ElementDef,
        path: &str,
        indent: usize,
        level: u8,
    ) -> fmt::Result {
        let pad = "  ".repeat(indent);
        let label = format!("{pad}{path} {}", e.name);
        let mut extra = String::new();
        if !e.length.is_unspecified() {
            let _ = write!(extra, "  {}", e.length);
        }
        if let Some(t) = &e.table {
            let _ = write!(extra, "  table {t}");
        }
        for b in &e.bindings {
            let _ = write!(extra, "  values {}", b.value_sets.join(","));
            if let Some(s) = b.strength {
                let _ = write!(extra, " ({s})");
            }
        }
        if let Some(c) = &e.constant {
            let _ = write!(extra, "  = {c:?}");
        }
        if e.site_defined {
            extra.push_str("  (site)");
        }
        writeln!(
            f,
            "{label:<48} {:<7} {:<8} {}{extra}",
            e.usage.to_string(),
            e.cardinality().to_string(),
            e.datatype
        )?;
        if self.depth > level
            && let Some(dt) = self.profile.datatype(&e.datatype)
        {
            for c in &dt.components {
                let sub = format!("{path}.{}", c.position);
                self.element(f, c, &sub, indent + 1, level + 1)?;
            }
        }
        Ok(())
    }
}
