//! Splitting a file or buffer into messages.

use super::delims::{Delimiters, is_line_end};
use super::error::{ParseError, ParseErrorKind};
use super::message::{Message, ParseOptions, Stop, is_header_id, skip_blank};

/// Reads every message in `input`: messages back to back, with blank lines
/// between them, or in FHS/BHS ... BTS/FTS batches, with any segment
/// terminators and an optional UTF-8 byte-order mark.
///
/// Each item is a message (with its [`offset`](Message::offset) and
/// [`index`](Message::index)) or the error that stopped one; after an error
/// the iterator goes on at the next line that starts a message or batch
/// segment, so one bad message does not hide the others. Batch trailers are
/// checked: a BTS-1 or FTS-1 count that does not match what was read, or a
/// missing trailer, is an error item too.
///
/// ```
/// use hl7_runtime::er7::parse_stream;
///
/// let input = b"MSH|^~\\&|A||B||||ADT^A01|1|P|2.5\r\n\r\nMSH|^~\\&|A||B||||ADT^A08|2|P|2.5\r\n";
/// let ids: Vec<_> = parse_stream(input)
///     .map(|m| m.unwrap().segment(0).unwrap().field(10).unwrap().text().into_owned())
///     .collect();
/// assert_eq!(ids, ["1", "2"]);
/// ```
pub fn parse_stream(input: &[u8]) -> Messages<'_> {
    Messages::new(input, ParseOptions::default())
}

/// Iterator over the messages of a stream; see [`parse_stream`].
#[derive(Debug)]
pub struct Messages<'a> {
    input: &'a [u8],
    pos: usize,
    opts: ParseOptions,
    next_index: usize,
    file: Option<Envelope>,
    batch: Option<Envelope>,
    batches_in_file: usize,
    finished: bool,
}

/// An open FHS or BHS: where it is, its field separator, and what it counted.
#[derive(Debug)]
struct Envelope {
    offset: usize,
    field: u8,
    count: usize,
}

impl<'a> Messages<'a> {
    /// A stream reader with options.
    pub fn new(input: &'a [u8], opts: ParseOptions) -> Self {
        let pos = if input.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Messages {
            input,
            pos,
            opts,
            next_index: 0,
            file: None,
            batch: None,
            batches_in_file: 0,
            finished: false,
        }
    }

    /// Byte offset where reading continues.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn line_end(&self, from: usize) -> usize {
        self.input[from..]
            .iter()
            .position(|&b| is_line_end(b))
            .map_or(self.input.len(), |n| from + n)
    }

    /// Moves past the current line (and any blank lines).
    fn skip_line(&mut self) {
        let end = self.line_end(self.pos);
        self.pos = skip_blank(self.input, end);
    }

    /// After an error, moves to the next line that starts a message or a batch segment.
    fn resync(&mut self, from: usize) {
        let mut at = from;
        loop {
            let end = self.line_end(at);
            at = skip_blank(self.input, end);
            if at >= self.input.len() || is_header_id(&self.input[at..]) {
                self.pos = at;
                return;
            }
        }
    }

    fn count_field(line: &[u8], field: u8) -> Option<usize> {
        let f1 = line.get(4..)?;
        let end = f1.iter().position(|&b| b == field).unwrap_or(f1.len());
        std::str::from_utf8(&f1[..end]).ok()?.trim().parse().ok()
    }

    fn header(&self, line: &[u8]) -> Result<Delimiters, ParseError> {
        Delimiters::from_header(line)
            .map(|h| h.delims)
            .map_err(|(at, reason)| {
                ParseError::new(ParseErrorKind::Delimiters, self.pos + at, reason)
            })
    }

    /// Handles a batch segment at `pos`. Returns an error item when a check fails.
    fn batch_segment(&mut self) -> Option<ParseError> {
        let start = self.pos;
        let end = self.line_end(start);
        let line = &self.input[start..end];
        let id = &line[..3];
        self.skip_line();
        match id {
            b"FHS" => {
                let field = match self.header(line) {
                    Ok(d) => d.field,
                    Err(e) => return Some(e),
                };
                let unclosed = self.file.replace(Envelope {
                    offset: start,
                    field,
                    count: 0,
                });
                self.batches_in_file = 0;
                unclosed.map(|f| {
                    ParseError::new(
                        ParseErrorKind::BatchStructure,
                        f.offset,
                        "FHS without an FTS before the next FHS",
                    )
                })
            }
            b"BHS" => {
                let field = match self.header(line) {
                    Ok(d) => d.field,
                    Err(e) => return Some(e),
                };
                self.batches_in_file += 1;
                let unclosed = self.batch.replace(Envelope {
                    offset: start,
                    field,
                    count: 0,
                });
                unclosed.map(|b| {
                    ParseError::new(
                        ParseErrorKind::BatchStructure,
                        b.offset,
                        "BHS without a BTS before the next BHS",
                    )
                })
            }
            b"BTS" => {
                let Some(batch) = self.batch.take() else {
                    return Some(ParseError::new(
                        ParseErrorKind::BatchStructure,
                        start,
                        "BTS without a BHS",
                    ));
                };
                let declared = Self::count_field(line, batch.field);
                match declared {
                    Some(n) if n != batch.count => Some(
                        ParseError::new(
                            ParseErrorKind::BatchCount,
                            start,
                            format!(
                                "BTS-1 says the batch holds {n} messages, but {} were read",
                                batch.count
                            ),
                        )
                        .with_segment(b"BTS", 1)
                        .with_field(1),
                    ),
                    _ => None,
                }
            }
            _ => {
                // FTS
                let Some(file) = self.file.take() else {
                    return Some(ParseError::new(
                        ParseErrorKind::BatchStructure,
                        start,
                        "FTS without an FHS",
                    ));
                };
                let declared = Self::count_field(line, file.field);
                let batches = std::mem::take(&mut self.batches_in_file);
                match declared {
                    Some(n) if n != batches => Some(
                        ParseError::new(
                            ParseErrorKind::BatchCount,
                            start,
                            format!(
                                "FTS-1 says the file holds {n} batches, but {batches} were read",
                            ),
                        )
                        .with_segment(b"FTS", 1)
                        .with_field(1),
                    ),
                    _ => None,
                }
            }
        }
    }

    fn at_end(&mut self) -> Option<ParseError> {
        if let Some(b) = self.batch.take() {
            return Some(ParseError::new(
                ParseErrorKind::BatchStructure,
                b.offset,
                "BHS without a BTS: the batch is truncated",
            ));
        }
        if let Some(f) = self.file.take() {
            return Some(ParseError::new(
                ParseErrorKind::BatchStructure,
                f.offset,
                "FHS without an FTS: the file is truncated",
            ));
        }
        if self.next_index == 0 && !self.finished {
            self.finished = true;
            return Some(ParseError::new(
                ParseErrorKind::Empty,
                self.pos,
                "no message: the input is empty",
            ));
        }
        None
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each turn consumes at least one line, so the loop ends.
        loop {
            self.pos = skip_blank(self.input, self.pos);
            if self.pos >= self.input.len() {
                let end = self.at_end();
                self.finished = true;
                return end.map(Err);
            }
            let rest = &self.input[self.pos..];
            if rest.starts_with(b"MSH") {
                let index = self.next_index;
                self.next_index += 1;
                let start = self.pos;
                if let Some(b) = &mut self.batch {
                    b.count += 1;
                } else if let Some(f) = &mut self.file {
                    // Messages directly in a file, without BHS, count as one batch's worth.
                    f.count += 1;
                }
                return Some(match Message::parse_at(rest, self.opts, true) {
                    Ok((mut msg, stop)) => {
                        self.pos = match stop {
                            Stop::Eof => self.input.len(),
                            Stop::Header(at) => start + at,
                        };
                        msg.offset = start;
                        msg.index = index;
                        Ok(msg)
                    }
                    Err(e) => {
                        let e = e.shifted(start).in_message(index);
                        self.resync(start);
                        Err(e)
                    }
                });
            }
            if is_header_id(rest) {
                if let Some(e) = self.batch_segment() {
                    return Some(Err(e));
                }
                continue;
            }
            let start = self.pos;
            let shown: String = String::from_utf8_lossy(&rest[..rest.len().min(20)])
                .chars()
                .take_while(|c| *c != '\r' && *c != '\n')
                .collect();
            self.resync(start);
            return Some(Err(ParseError::new(
                ParseErrorKind::UnexpectedLine,
                start,
                format!("expected MSH, FHS or BHS at the start of a message, found `{shown}`"),
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(input: &[u8]) -> Vec<Result<(usize, usize), String>> {
        parse_stream(input)
            .map(|r| {
                r.map(|m| (m.index(), m.offset()))
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn back_to_back_with_blank_lines_and_bom() {
        let input = b"\xEF\xBB\xBFMSH|^~\\&|A\r\nPID|1\r\n\r\n\r\nMSH|^~\\&|B\nPID|2\n";
        assert_eq!(items(input), vec![Ok((0, 3)), Ok((1, 26))]);
    }

    #[test]
    fn batches_are_checked() {
        let ok =
            b"FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|A\rMSA|AA|1\rMSH|^~\\&|B\rMSA|AA|2\rBTS|2\rFTS|1\r";
        assert_eq!(items(ok), vec![Ok((0, 18)), Ok((1, 38))]);
        let bad = b"BHS|^~\\&\rMSH|^~\\&|A\rBTS|2\r";
        let got = items(bad);
        assert_eq!(got.len(), 2);
        assert!(
            got[1]
                .as_ref()
                .unwrap_err()
                .contains("BTS-1 says the batch holds 2 messages, but 1 were read")
        );
        let truncated = b"BHS|^~\\&\rMSH|^~\\&|A\r";
        assert!(
            items(truncated)[1]
                .as_ref()
                .unwrap_err()
                .contains("truncated")
        );
        let fts = b"FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|A\rBTS|1\rFTS|3\r";
        assert!(
            items(fts)[1]
                .as_ref()
                .unwrap_err()
                .contains("FTS-1 says the file holds 3 batches, but 1")
        );
    }

    #[test]
    fn errors_do_not_hide_other_messages() {
        let input = b"MSH|&&&&|A\rPID|1\rMSH|^~\\&|B\rPID|2\rjunk line\rMSH|^~\\&|C\r";
        let got = items(input);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .starts_with("message 1, byte 4, segment MSH (#1), field 2:")
        );
        assert!(
            got[1]
                .as_ref()
                .unwrap_err()
                .contains("does not start with a segment id")
        );
        assert_eq!(got[2], Ok((2, 44)));
    }

    #[test]
    fn garbage_before_first_message() {
        let got = items(b"hello\rMSH|^~\\&|A\r");
        assert!(got[0].as_ref().unwrap_err().contains("expected MSH"));
        assert_eq!(got[1], Ok((0, 6)));
    }

    #[test]
    fn empty_input_is_reported_once() {
        assert_eq!(items(b"").len(), 1);
        assert_eq!(items(b"\r\n  \n").len(), 1);
    }
}
