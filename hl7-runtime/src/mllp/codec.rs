//! MLLP framing as a tokio-util [`Decoder`]/[`Encoder`] pair: no socket code.

use std::fmt;
use std::io;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder, Framed, FramedRead};

/// Start block, VT.
pub const START_BLOCK: u8 = 0x0B;
/// End block, FS.
pub const END_BLOCK: u8 = 0x1C;
/// The trailer after the end block, CR.
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// The payload of an MLLP release 2 commit acknowledgement block.
pub const COMMIT_ACK: u8 = 0x06;
/// The payload of an MLLP release 2 negative commit acknowledgement block.
pub const COMMIT_NAK: u8 = 0x15;
/// The default maximum frame payload: 16 MiB.
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 16 << 20;

/// An MLLP framing or transport error.
///
/// The `Display` text is for people and may change between releases.
#[derive(Debug)]
#[non_exhaustive]
pub enum MllpError {
    /// A frame's payload is longer than the codec's maximum. The decoder
    /// skips the rest of that frame and goes on with the next one.
    FrameTooLarge {
        /// The maximum, in bytes.
        limit: usize,
    },
    /// A byte where the framing allows no such byte (strict mode, or a
    /// payload handed to the encoder that holds a framing byte).
    UnexpectedByte {
        /// The byte.
        byte: u8,
        /// What was expected instead.
        expected: &'static str,
    },
    /// The stream ended, or a timeout hit, in the middle of a frame.
    IncompleteFrame {
        /// Bytes of the frame's payload received so far.
        received: usize,
    },
    /// The peer did not send within the time allowed.
    Timeout {
        /// What was being waited for.
        waiting_for: &'static str,
    },
    /// An I/O error of the connection.
    Io(io::Error),
}

impl MllpError {
    /// Is this [`MllpError::FrameTooLarge`]?
    pub fn is_frame_too_large(&self) -> bool {
        matches!(self, MllpError::FrameTooLarge { .. })
    }

    /// Is this a timeout?
    pub fn is_timeout(&self) -> bool {
        matches!(self, MllpError::Timeout { .. })
    }
}

impl fmt::Display for MllpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MllpError::FrameTooLarge { limit } => write!(
                f,
                "MLLP frame larger than the maximum of {limit} bytes (the rest of it is discarded; raise the limit with max_frame_length)"
            ),
            MllpError::UnexpectedByte { byte, expected } => {
                write!(
                    f,
                    "unexpected byte 0x{byte:02X} in MLLP framing: expected {expected}"
                )
            }
            MllpError::IncompleteFrame { received } => write!(
                f,
                "incomplete MLLP frame: {received} bytes received without an end block"
            ),
            MllpError::Timeout { waiting_for } => write!(f, "timed out waiting for {waiting_for}"),
            MllpError::Io(e) => write!(f, "MLLP connection: {e}"),
        }
    }
}

impl std::error::Error for MllpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MllpError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for MllpError {
    fn from(e: io::Error) -> Self {
        MllpError::Io(e)
    }
}

/// How forgiving the decoder is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The MLLP release 2 destination rules: bytes before a start block are
    /// discarded (and counted), a start block inside a frame restarts the
    /// frame, an oversize frame is skipped.
    #[default]
    Tolerant,
    /// Any byte outside a frame, or a start block inside one, is an error.
    Strict,
}

/// The MLLP codec: decodes frames to their payload and encodes payloads to
/// frames (`SB payload EB CR`).
///
/// The decoder is resumable (each call scans only new bytes) and bounded
/// ([`DEFAULT_MAX_FRAME_LENGTH`] unless set otherwise). Frames are yielded
/// as raw [`Bytes`]: parsing is a separate step, so a malformed message in a
/// well-formed frame can still be answered.
///
/// ```
/// use bytes::BytesMut;
/// use hl7_runtime::mllp::MllpCodec;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = MllpCodec::new();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"MSH|^~\\&|A\r"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"\x0bMSH|^~\\&|A\r\x1c\r");
/// let mut input = BytesMut::from(&b"noise\x0bMSH|1\r\x1c\r\x0bMSH|2\r\x1c"[..]);
/// assert_eq!(codec.decode(&mut input)?.as_deref(), Some(&b"MSH|1\r"[..]));
/// assert_eq!(codec.decode(&mut input)?, None); // the second frame lacks its CR
/// assert_eq!(codec.discarded_bytes(), 5);
/// # Ok::<(), hl7_runtime::mllp::MllpError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MllpCodec {
    max_frame_length: usize,
    mode: Mode,
    accept_bare_end_block: bool,
    /// A start block has been seen; `src` begins with payload.
    in_frame: bool,
    /// Skipping the rest of an oversize frame.
    discarding: bool,
    /// Where the next scan of the payload starts.
    next_index: usize,
    discarded: u64,
    frames: u64,
}

impl Default for MllpCodec {
    fn default() -> Self {
        MllpCodec::new()
    }
}

/// Builds an [`MllpCodec`], or a reader or framed stream using one.
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    max_frame_length: usize,
    mode: Mode,
    accept_bare_end_block: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
            mode: Mode::Tolerant,
            accept_bare_end_block: false,
        }
    }
}

impl Builder {
    /// The largest payload accepted, in bytes (16 MiB by default).
    pub fn max_frame_length(&mut self, n: usize) -> &mut Self {
        self.max_frame_length = n.max(1);
        self
    }

    /// Tolerant (the default) or strict decoding.
    pub fn mode(&mut self, mode: Mode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Whether an end block not followed by CR still ends a frame (off by
    /// default: then, in tolerant mode, it is read as payload; in strict
    /// mode it is an error). The byte after it is then kept as noise
    /// before the next frame.
    pub fn accept_bare_end_block(&mut self, yes: bool) -> &mut Self {
        self.accept_bare_end_block = yes;
        self
    }

    /// The codec.
    pub fn new_codec(&self) -> MllpCodec {
        MllpCodec {
            max_frame_length: self.max_frame_length,
            mode: self.mode,
            accept_bare_end_block: self.accept_bare_end_block,
            in_frame: false,
            discarding: false,
            next_index: 0,
            discarded: 0,
            frames: 0,
        }
    }

    /// A [`FramedRead`] over `io` with the codec.
    pub fn new_read<T: tokio::io::AsyncRead>(&self, io: T) -> FramedRead<T, MllpCodec> {
        FramedRead::new(io, self.new_codec())
    }

    /// A [`Framed`] over `io` with the codec.
    pub fn new_framed<T: tokio::io::AsyncRead + tokio::io::AsyncWrite>(
        &self,
        io: T,
    ) -> Framed<T, MllpCodec> {
        Framed::new(io, self.new_codec())
    }
}

impl MllpCodec {
    /// A tolerant codec with the default maximum frame length.
    pub fn new() -> MllpCodec {
        Builder::default().new_codec()
    }

    /// A builder for other settings.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The maximum payload length.
    pub fn max_frame_length(&self) -> usize {
        self.max_frame_length
    }

    /// The decoding mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Bytes dropped so far: noise before start blocks, partial frames
    /// abandoned for a new start block, and the rest of oversize frames.
    pub fn discarded_bytes(&self) -> u64 {
        self.discarded
    }

    /// Frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Is the decoder inside a frame (a start block seen, no end yet)?
    /// The connection layer uses this to time out partial frames.
    pub fn is_mid_frame(&self) -> bool {
        self.in_frame || self.discarding
    }

    /// Forgets a partial frame, as after a timeout; `src` is the buffer
    /// being decoded, whose bytes are counted as discarded and dropped.
    pub fn reset(&mut self, src: &mut BytesMut) {
        self.discarded += src.len() as u64;
        src.clear();
        self.in_frame = false;
        self.discarding = false;
        self.next_index = 0;
    }

    fn unexpected(byte: u8, expected: &'static str) -> MllpError {
        MllpError::UnexpectedByte { byte, expected }
    }

    /// Skips the rest of an oversize frame. Returns true when its end was found.
    fn skip_oversize(&mut self, src: &mut BytesMut) -> bool {
        loop {
            let Some(eb) = memchr::memchr(END_BLOCK, src) else {
                self.discarded += src.len() as u64;
                src.clear();
                return false;
            };
            match src.get(eb + 1) {
                None => {
                    // Keep the end block until the next byte says what it is.
                    self.discarded += eb as u64;
                    src.advance(eb);
                    return false;
                }
                Some(&CARRIAGE_RETURN) => {
                    self.discarded += eb as u64 + 2;
                    src.advance(eb + 2);
                    return true;
                }
                Some(_) if self.accept_bare_end_block => {
                    self.discarded += eb as u64 + 1;
                    src.advance(eb + 1);
                    return true;
                }
                Some(_) => {
                    self.discarded += eb as u64 + 1;
                    src.advance(eb + 1);
                }
            }
        }
    }
}

impl Decoder for MllpCodec {
    type Item = Bytes;
    type Error = MllpError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, MllpError> {
        loop {
            if self.discarding {
                if !self.skip_oversize(src) {
                    return Ok(None);
                }
                self.discarding = false;
                self.in_frame = false;
                self.next_index = 0;
            }
            if !self.in_frame {
                match memchr::memchr(START_BLOCK, src) {
                    None => {
                        if self.mode == Mode::Strict
                            && let Some(&b) = src.first()
                        {
                            self.discarded += src.len() as u64;
                            src.clear();
                            return Err(Self::unexpected(b, "a start block (0x0B)"));
                        }
                        self.discarded += src.len() as u64;
                        src.clear();
                        return Ok(None);
                    }
                    Some(i) => {
                        if i > 0 && self.mode == Mode::Strict {
                            let b = src[0];
                            self.discarded += i as u64;
                            src.advance(i);
                            return Err(Self::unexpected(b, "a start block (0x0B)"));
                        }
                        self.discarded += i as u64;
                        src.advance(i + 1);
                        self.in_frame = true;
                        self.next_index = 0;
                    }
                }
            }
            // Inside a frame: `src` starts with payload.
            let scan_to = src.len().min(self.max_frame_length.saturating_add(1));
            let found = memchr::memchr2(END_BLOCK, START_BLOCK, &src[self.next_index..scan_to])
                .map(|j| self.next_index + j);
            let Some(at) = found else {
                if src.len() > self.max_frame_length {
                    self.start_discarding();
                    return Err(MllpError::FrameTooLarge {
                        limit: self.max_frame_length,
                    });
                }
                self.next_index = src.len();
                return Ok(None);
            };
            if src[at] == START_BLOCK {
                if self.mode == Mode::Strict {
                    self.discarded += at as u64 + 1;
                    src.advance(at + 1);
                    self.in_frame = false;
                    self.next_index = 0;
                    return Err(Self::unexpected(
                        START_BLOCK,
                        "an end block (0x1C) before the next start block",
                    ));
                }
                // The peer started over: drop the partial frame.
                self.discarded += at as u64 + 1;
                src.advance(at + 1);
                self.next_index = 0;
                continue;
            }
            // An end block at `at`: what follows decides.
            let Some(&next) = src.get(at + 1) else {
                self.next_index = at;
                return Ok(None);
            };
            if next == CARRIAGE_RETURN {
                let frame = src.split_to(at).freeze();
                src.advance(2);
                return Ok(Some(self.finish(frame)));
            }
            if self.accept_bare_end_block {
                let frame = src.split_to(at).freeze();
                src.advance(1);
                return Ok(Some(self.finish(frame)));
            }
            if self.mode == Mode::Strict {
                // Drop the frame and the stray byte (unless it starts the next frame).
                let skip = at + 1 + usize::from(next != START_BLOCK);
                self.discarded += skip as u64;
                src.advance(skip);
                self.in_frame = false;
                self.next_index = 0;
                return Err(Self::unexpected(next, "CR (0x0D) after the end block"));
            }
            // Tolerant: a lone end block is payload.
            self.next_index = at + 1;
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, MllpError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if self.in_frame && self.accept_bare_end_block && src.last() == Some(&END_BLOCK) {
            let mut frame = src.split().freeze();
            frame.truncate(frame.len() - 1);
            return Ok(Some(self.finish(frame)));
        }
        if self.in_frame {
            let received = src.len();
            self.reset(src);
            return Err(MllpError::IncompleteFrame { received });
        }
        self.discarding = false;
        self.discarded += src.len() as u64;
        src.clear();
        Ok(None)
    }
}

impl MllpCodec {
    fn finish(&mut self, frame: Bytes) -> Bytes {
        self.in_frame = false;
        self.next_index = 0;
        self.frames += 1;
        frame
    }

    /// The next decode skips to the end of the current (oversize) frame.
    fn start_discarding(&mut self) {
        self.discarding = true;
        self.in_frame = false;
        self.next_index = 0;
    }
}

/// Writes one frame around `payload` into `dst`.
///
/// # Errors
///
/// The payload holds a start or end block, which no frame can carry.
pub fn encode_frame(payload: &[u8], dst: &mut BytesMut) -> Result<(), MllpError> {
    if let Some(i) = memchr::memchr2(START_BLOCK, END_BLOCK, payload) {
        return Err(MllpError::UnexpectedByte {
            byte: payload[i],
            expected: "payload bytes other than 0x0B and 0x1C",
        });
    }
    dst.reserve(payload.len() + 3);
    dst.put_u8(START_BLOCK);
    dst.put_slice(payload);
    dst.put_slice(&[END_BLOCK, CARRIAGE_RETURN]);
    Ok(())
}

/// A frame around `payload`, in one buffer (so it goes out in one write).
///
/// # Errors
///
/// As [`encode_frame`].
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, MllpError> {
    let mut dst = BytesMut::with_capacity(payload.len() + 3);
    encode_frame(payload, &mut dst)?;
    Ok(dst.to_vec())
}

/// The MLLP release 2 commit acknowledgement block.
pub const COMMIT_ACK_FRAME: [u8; 4] = [START_BLOCK, COMMIT_ACK, END_BLOCK, CARRIAGE_RETURN];
/// The MLLP release 2 negative commit acknowledgement block.
pub const COMMIT_NAK_FRAME: [u8; 4] = [START_BLOCK, COMMIT_NAK, END_BLOCK, CARRIAGE_RETURN];

/// What an MLLP release 2 commit block says, if `payload` is one.
pub fn commit_block(payload: &[u8]) -> Option<bool> {
    match payload {
        [COMMIT_ACK] => Some(true),
        [COMMIT_NAK] => Some(false),
        _ => None,
    }
}

impl Encoder<&[u8]> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), MllpError> {
        encode_frame(item, dst)
    }
}

impl Encoder<Bytes> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), MllpError> {
        encode_frame(&item, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(codec: &mut MllpCodec, input: &[u8]) -> Vec<Result<Vec<u8>, String>> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        for _ in 0..1000 {
            match codec.decode(&mut buf) {
                Ok(Some(f)) => out.push(Ok(f.to_vec())),
                Ok(None) => break,
                Err(e) => out.push(Err(e.to_string())),
            }
        }
        out
    }

    #[test]
    fn many_frames_and_noise() {
        let mut c = MllpCodec::new();
        let got = all(&mut c, b"\0\r\n\x0bA\r\x1c\r\r\x0bB\x1c\r\x0bC");
        assert_eq!(got, vec![Ok(b"A\r".to_vec()), Ok(b"B".to_vec())]);
        assert_eq!(c.discarded_bytes(), 4);
        assert!(c.is_mid_frame());
        assert_eq!(c.frames(), 2);
    }

    #[test]
    fn strict_mode_rejects_noise() {
        let mut c = MllpCodec::builder().mode(Mode::Strict).new_codec();
        let got = all(&mut c, b"xy\x0bA\x1c\r");
        assert_eq!(got.len(), 2);
        assert!(got[0].as_ref().unwrap_err().contains("0x78"));
        assert_eq!(got[1], Ok(b"A".to_vec()));
        let mut c = MllpCodec::builder().mode(Mode::Strict).new_codec();
        let got = all(&mut c, b"\x0bA\x1cZ\x0bB\x1c\r");
        assert!(got[0].as_ref().unwrap_err().contains("CR"));
        assert_eq!(got[1], Ok(b"B".to_vec()));
    }

    #[test]
    fn bare_end_block_is_payload_unless_accepted() {
        let mut c = MllpCodec::new();
        assert_eq!(
            all(&mut c, b"\x0bA\x1cB\x1c\r"),
            vec![Ok(b"A\x1cB".to_vec())]
        );
        let mut c = MllpCodec::builder().accept_bare_end_block(true).new_codec();
        assert_eq!(
            all(&mut c, b"\x0bA\x1c\x0bB\x1c\r"),
            vec![Ok(b"A".to_vec()), Ok(b"B".to_vec())]
        );
        let mut buf = BytesMut::from(&b"\x0bC\x1c"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        assert_eq!(c.decode_eof(&mut buf).unwrap().as_deref(), Some(&b"C"[..]));
    }

    #[test]
    fn start_block_inside_a_frame_restarts_it() {
        let mut c = MllpCodec::new();
        assert_eq!(
            all(&mut c, b"\x0bhalf\x0bwhole\x1c\r"),
            vec![Ok(b"whole".to_vec())]
        );
        assert_eq!(c.discarded_bytes(), 5);
    }

    #[test]
    fn oversize_frames_error_once_then_resync() {
        let mut c = MllpCodec::builder().max_frame_length(4).new_codec();
        let got = all(&mut c, b"\x0b123456789\x1c\r\x0bok\x1c\r");
        assert_eq!(got.len(), 2);
        assert!(got[0].as_ref().unwrap_err().contains("maximum of 4 bytes"));
        assert_eq!(got[1], Ok(b"ok".to_vec()));
        // Exactly the limit is fine; one more is not, even with the end in view.
        let mut c = MllpCodec::builder().max_frame_length(4).new_codec();
        assert_eq!(all(&mut c, b"\x0b1234\x1c\r"), vec![Ok(b"1234".to_vec())]);
        let got = all(&mut c, b"\x0b12345\x1c\r\x0bz\x1c\r");
        assert!(got[0].is_err());
        assert_eq!(got[1], Ok(b"z".to_vec()));
        // Oversize arriving in pieces.
        let mut c = MllpCodec::builder().max_frame_length(4).new_codec();
        let mut buf = BytesMut::from(&b"\x0b12"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"3456");
        assert!(c.decode(&mut buf).unwrap_err().is_frame_too_large());
        buf.extend_from_slice(b"789\x1c");
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\r\x0bnext\x1c\r");
        assert_eq!(c.decode(&mut buf).unwrap().as_deref(), Some(&b"next"[..]));
    }

    #[test]
    fn eof_mid_frame_is_an_error() {
        let mut c = MllpCodec::new();
        let mut buf = BytesMut::from(&b"\x0bMSH|partial"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        match c.decode_eof(&mut buf) {
            Err(MllpError::IncompleteFrame { received }) => assert_eq!(received, 11),
            other => panic!("{other:?}"),
        }
        assert!(!c.is_mid_frame());
        let mut buf = BytesMut::from(&b"junk"[..]);
        assert_eq!(c.decode_eof(&mut buf).unwrap(), None);
    }

    #[test]
    fn encoder_refuses_framing_bytes() {
        let mut dst = BytesMut::new();
        assert!(encode_frame(b"a\x1cb", &mut dst).is_err());
        assert!(dst.is_empty());
        assert_eq!(frame(b"x").unwrap(), b"\x0bx\x1c\r");
        assert_eq!(commit_block(&[COMMIT_ACK]), Some(true));
        assert_eq!(commit_block(&[COMMIT_NAK]), Some(false));
        assert_eq!(commit_block(b"MSH"), None);
    }

    proptest! {
        /// Any chunking of a frame stream yields the same frames.
        #[test]
        fn any_chunking_gives_the_same_frames(
            payloads in proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof![0x20u8..=0xFF, Just(b'\r')], 0..200), 1..8),
            noise in proptest::collection::vec(
                prop_oneof![Just(0u8), Just(b'\r'), Just(b'\n'), 0x20u8..0x7F], 0..5),
            cuts in proptest::collection::vec(1usize..40, 0..64),
        ) {
            let mut wire = Vec::new();
            for p in &payloads {
                wire.extend_from_slice(&noise);
                wire.extend_from_slice(&frame(p).unwrap());
            }
            let mut codec = MllpCodec::new();
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            let mut rest = &wire[..];
            let mut cuts = cuts.into_iter();
            while !rest.is_empty() {
                let n = cuts.next().unwrap_or(rest.len()).min(rest.len());
                buf.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                while let Some(f) = codec.decode(&mut buf).unwrap() {
                    got.push(f.to_vec());
                }
            }
            prop_assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
            prop_assert_eq!(&got, &payloads);
            prop_assert_eq!(codec.discarded_bytes(), (noise.len() * payloads.len()) as u64);
        }
    }
}
