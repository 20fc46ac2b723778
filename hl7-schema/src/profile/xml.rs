//! A small positioned XML tree built from quick-xml's event reader.
//!
//! Loaders walk this tree rather than raw events: every element and every
//! attribute keeps the byte offset where it starts, so any diagnostic can be
//! turned into `file:line:col`. quick-xml types never leave this module.

use std::fmt;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::diag::{DiagnosticKind, Diags, SourceText};

/// One attribute with the offset of its name.
#[derive(Debug, Clone)]
pub(crate) struct Attr {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) offset: usize,
}

/// One element with its attributes, child elements and concatenated text.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub(crate) name: String,
    /// Offset of the `<` that opens the element.
    pub(crate) offset: usize,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// The attribute's value, or `None` when it is absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.attr(name).map(|a| a.value.as_str())
    }

    /// The attribute's value, or `None` when absent or blank.
    pub(crate) fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Offset of the attribute if present, else of the element.
    pub(crate) fn offset_of(&self, name: &str) -> usize {
        self.attr(name).map_or(self.offset, |a| a.offset)
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Trimmed text of a named child element, if present and non-blank.
    pub(crate) fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| normalize_space(&c.text))
            .filter(|t| !t.is_empty())
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.name)
    }
}

/// Collapses runs of whitespace (free-text notes are wrapped in the files).
pub(crate) fn normalize_space(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Error detail for a quick-xml failure, kept as a `source()`.
#[derive(Debug)]
pub(crate) struct XmlError(pub(crate) String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

/// Parses a whole document into a tree. On a well-formedness error it
/// reports one diagnostic (XML errors are fatal by the XML spec) and returns
/// `None`.
pub(crate) fn parse(text: &str, src: &SourceText, diags: &mut Diags) -> Option<Element> {
    let base = text.as_ptr() as usize;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = reader.error_position() as usize;
                let msg = e.to_string();
                let d = diags
                    .error(
                        src,
                        at,
                        DiagnosticKind::MalformedXml,
                        format!("malformed XML: {msg}"),
                    )
                    .source_mut(XmlError(msg));
                if let Some(open) = stack.last() {
                    let l = src.location(open.offset);
                    d.help_mut(format!(
                        "the innermost open element is <{}> at {}:{}",
                        open.name, l.line, l.column
                    ));
                }
                return None;
            }
        };
        match event {
            Event::Start(start) => {
                let el = element(&start, before, base, text.len(), src, diags)?;
                stack.push(el);
            }
            Event::Empty(start) => {
                let el = element(&start, before, base, text.len(), src, diags)?;
                if !attach(el, &mut stack, &mut root, src, diags) {
                    return None;
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    diags.error(
                        src,
                        before,
                        DiagnosticKind::MalformedXml,
                        "malformed XML: closing tag without an opening tag",
                    );
                    return None;
                };
                if !attach(el, &mut stack, &mut root, src, diags) {
                    return None;
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                push_text(&mut stack, &content, before, src, diags)?;
            }
            Event::CData(t) => {
                let content = t.xml10_content();
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&content);
                }
            }
            Event::GeneralRef(r) => {
                let resolved: Option<String> = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        _ => None,
                    }
                } else {
                    match &*r {
                        "amp" => Some("&".into()),
                        "lt" => Some("<".into()),
                        "gt" => Some(">".into()),
                        "quot" => Some("\"".into()),
                        "apos" => Some("'".into()),
                        _ => None,
                    }
                };
                if let Some(s) = resolved {
                    push_text(&mut stack, &s, before, src, diags)?;
                } else {
                    diags.error(
                        src,
                        before,
                        DiagnosticKind::MalformedXml,
                        format!("malformed XML: unknown entity reference `&{};`", &*r),
                    );
                    return None;
                }
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    diags
                        .error(
                            src,
                            open.offset,
                            DiagnosticKind::MalformedXml,
                            format!(
                                "malformed XML: element <{}> is never closed (end of file reached)",
                                open.name
                            ),
                        )
                        .help_mut(format!("add </{}>", open.name));
                    return None;
                }
                if root.is_none() {
                    diags.error(
                        src,
                        before,
                        DiagnosticKind::MalformedXml,
                        "malformed XML: the document has no root element",
                    );
                }
                return root;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn push_text(
    stack: &mut [Element],
    content: &str,
    at: usize,
    src: &SourceText,
    diags: &mut Diags,
) -> Option<()> {
    match stack.last_mut() {
        Some(top) => top.text.push_str(content),
        None if content.trim().is_empty() => {}
        None => {
            diags.error(
                src,
                at,
                DiagnosticKind::MalformedXml,
                "malformed XML: text outside the root element",
            );
            return None;
        }
    }
    Some(())
}

fn attach(
    el: Element,
    stack: &mut [Element],
    root: &mut Option<Element>,
    src: &SourceText,
    diags: &mut Diags,
) -> bool {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(el);
        true
    } else if root.is_some() {
        diags.error(
            src,
            el.offset,
            DiagnosticKind::MalformedXml,
            format!(
                "malformed XML: a second root element <{}> (a document has exactly one)",
                el.name
            ),
        );
        false
    } else {
        *root = Some(el);
        true
    }
}

fn element(
    start: &BytesStart<'_>,
    offset: usize,
    base: usize,
    len: usize,
    src: &SourceText,
    diags: &mut Diags,
) -> Option<Element> {
    let name = local(start.name().0).to_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = match attr {
            Ok(a) => a,
            Err(e) => {
                let msg = e.to_string();
                diags
                    .error(
                        src,
                        offset,
                        DiagnosticKind::MalformedXml,
                        format!("malformed XML: bad attribute in <{name}>: {msg}"),
                    )
                    .source_mut(XmlError(msg));
                return None;
            }
        };
        let key_ptr = attr.key.0.as_ptr() as usize;
        let at = if key_ptr >= base && key_ptr < base + len {
            key_ptr - base
        } else {
            offset
        };
        let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            Err(e) => {
                let msg = e.to_string();
                diags
                    .error(
                        src,
                        at,
                        DiagnosticKind::MalformedXml,
                        format!(
                            "malformed XML: bad value of attribute `{}`: {msg}",
                            attr.key.0
                        ),
                    )
                    .source_mut(XmlError(msg));
                return None;
            }
        };
        let key = attr.key.0;
        if key.starts_with("xmlns") {
            continue;
        }
        attrs.push(Attr {
            name: local(key).to_owned(),
            value,
            offset: at,
        });
    }
    Some(Element {
        name,
        offset,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

/// Drops a namespace prefix (`xsi:noNamespaceSchemaLocation` keeps its local
/// name; the profile formats use no namespaces of their own).
fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    fn parse_str(s: &str) -> (Option<Element>, Vec<super::super::diag::Diagnostic>) {
        let src = SourceText::new(Arc::from(Path::new("t.xml")), s);
        let mut d = Diags::default();
        let el = parse(s, &src, &mut d);
        (el, d.into_vec())
    }

    #[test]
    fn offsets_point_at_tags_and_attributes() {
        let text = "<?xml version=\"1.0\"?>\n<A x=\"1\">\n  <B  y=\"a&amp;b\"/>t&lt;\n</A>";
        let (el, d) = parse_str(text);
        assert!(d.is_empty(), "{d:?}");
        let a = el.unwrap();
        assert_eq!(&text[a.offset..a.offset + 2], "<A");
        let b = &a.children[0];
        assert_eq!(&text[b.offset..b.offset + 2], "<B");
        assert_eq!(b.get("y"), Some("a&b"));
        assert_eq!(&text[b.attr("y").unwrap().offset..][..1], "y");
        assert!(a.text.contains("t<"));
    }

    #[test]
    fn unclosed_element_is_reported_at_its_start() {
        let (el, d) = parse_str("<A>\n  <B>\n</A>");
        assert!(el.is_none());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind(), DiagnosticKind::MalformedXml);
    }
}
