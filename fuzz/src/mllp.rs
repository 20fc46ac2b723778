//! The `mllp` target: the MLLP decoder under any chunking, the encoder, and
//! the acknowledgements built for the frames that hold a message.

use bytes::BytesMut;
use hl7_runtime::er7::Message;
use hl7_runtime::mllp::ack::{
    AckCode, AckError, AckOptions, ErrSeverity, build_ack, build_bare_ack, read_ack,
};
use hl7_runtime::mllp::{Builder, END_BLOCK, MllpCodec, Mode, START_BLOCK, encode_frame};
use tokio_util::codec::Decoder;

/// What decoding one input gave.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    frames: Vec<Vec<u8>>,
    discarded: u64,
    counted: u64,
}

/// Decodes `wire` fed in chunks whose lengths cycle through `sizes` (each
/// at least 1), as a `FramedRead` would: decode until `None` after each
/// chunk, then `decode_eof` until `None`.
fn decode_chunked(builder: &Builder, wire: &[u8], sizes: &[usize]) -> Decoded {
    let mut codec = builder.new_codec();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut rest = wire;
    let mut sizes = sizes.iter().copied().cycle();
    let mut chunks = 0;
    let mut calls = 0;
    // Decodes until `None`: each call consumes bytes, ends the loop, or
    // (oversize) flips to skipping once, so more calls than this is a loop.
    let mut drain = |codec: &mut MllpCodec, buf: &mut BytesMut, chunks: usize, eof: bool| loop {
        calls += 1;
        let next = if eof {
            codec.decode_eof(buf)
        } else {
            codec.decode(buf)
        };
        match next {
            Ok(Some(f)) => frames.push(f.to_vec()),
            Ok(None) => break,
            Err(_) => {}
        }
        assert!(
            calls <= 3 * (wire.len() + chunks) + 6,
            "the decoder does not progress"
        );
    };
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        chunks += 1;
        drain(&mut codec, &mut buf, chunks, false);
    }
    drain(&mut codec, &mut buf, chunks, true);
    assert!(buf.is_empty(), "bytes left after end of stream");
    assert!(!codec.is_mid_frame(), "mid-frame after end of stream");
    assert_eq!(
        codec.frames(),
        frames.len() as u64,
        "frames() counts frames"
    );
    Decoded {
        frames,
        discarded: codec.discarded_bytes(),
        counted: codec.frames(),
    }
}

/// Input: one settings byte (bit 0 strict, bit 1 accept a bare end block,
/// bit 2 a maximum frame length of `1 + (byte >> 3)` bytes), four chunk
/// lengths, then the bytes on the wire.
///
/// Decodes the wire in one piece, byte by byte and in the chunks given:
/// never a panic or a loop, the same frames and the same count of
/// discarded bytes every way, no frame over the maximum, no start block in
/// a frame (nor an end block unless a tolerant codec keeps a bare one as
/// payload). Every frame encodes (unless it holds an end block) and
/// decodes back to itself. For each frame that parses as a message, an
/// ACK is built that parses, whose MSA-2 is the message's MSH-10 and
/// which [`read_ack`] reads; for each that does not, a bare ACK.
///
/// # Panics
/// When an invariant breaks.
pub fn mllp_decode(data: &[u8]) {
    let Some((&settings, rest)) = data.split_first() else {
        return;
    };
    let (cuts, wire) = rest.split_at(rest.len().min(4));
    let strict = settings & 1 != 0;
    let bare = settings & 2 != 0;
    let mut builder = MllpCodec::builder();
    builder
        .mode(if strict { Mode::Strict } else { Mode::Tolerant })
        .accept_bare_end_block(bare);
    if settings & 4 != 0 {
        builder.max_frame_length(1 + usize::from(settings >> 3));
    }
    let max = builder.new_codec().max_frame_length();

    let whole = decode_chunked(&builder, wire, &[wire.len().max(1)]);
    let bytewise = decode_chunked(&builder, wire, &[1]);
    assert_eq!(whole, bytewise, "one piece vs byte by byte");
    let sizes: Vec<usize> = cuts.iter().map(|&c| usize::from(c % 64) + 1).collect();
    if !sizes.is_empty() {
        let chunked = decode_chunked(&builder, wire, &sizes);
        assert_eq!(whole, chunked, "one piece vs chunks {sizes:?}");
    }
    assert_eq!(whole.counted, whole.frames.len() as u64);

    for f in &whole.frames {
        assert!(
            f.len() <= max,
            "a frame of {} bytes, maximum {max}",
            f.len()
        );
        assert!(!f.contains(&START_BLOCK), "a start block in a frame");
        if strict || bare {
            assert!(!f.contains(&END_BLOCK), "an end block in a frame");
        }
        let mut wire = BytesMut::new();
        match encode_frame(f, &mut wire) {
            Ok(()) => {
                let again = decode_chunked(&builder, &wire, &[wire.len()]);
                assert_eq!(again.frames, std::slice::from_ref(f), "encode then decode");
                assert_eq!(again.discarded, 0);
            }
            Err(_) => assert!(f.contains(&END_BLOCK), "encode refused a clean payload"),
        }
    }

    for f in whole.frames.iter().take(4) {
        acknowledge(f);
    }
}

/// Builds ACKs of a frame and checks them.
fn acknowledge(frame: &[u8]) {
    let error = AckError {
        location: "PID[1]-3.1".to_owned(),
        code: 101,
        severity: ErrSeverity::Error,
        message: "PID-3 |^~\\& is required\r".to_owned(),
    };
    let Ok(msg) = Message::parse(frame) else {
        let ack = build_bare_ack(AckCode::ApplicationReject, &error, "ACK|1");
        let (code, id) = read_ack(&ack).expect("a bare ACK reads");
        assert_eq!((code, id.as_str()), (AckCode::ApplicationReject, ""));
        return;
    };
    let msh10 = msg
        .segment(0)
        .and_then(|s| s.field(10))
        .map_or(&b""[..], |v| v.raw());
    for (code, errors) in [
        (AckCode::ApplicationAccept, &[][..]),
        (AckCode::ApplicationError, std::slice::from_ref(&error)),
    ] {
        let control_id = hl7_runtime::mllp::ack::next_control_id();
        let ack = build_ack(&msg, code, errors, &control_id, &AckOptions::default());
        let parsed = Message::parse(&ack).unwrap_or_else(|e| {
            panic!(
                "the ACK does not parse: {e}\n{:?}",
                String::from_utf8_lossy(&ack)
            )
        });
        let msa2 = parsed
            .segments_named("MSA")
            .next()
            .expect("the ACK has an MSA")
            .field(2)
            .map_or(&b""[..], |v| v.raw());
        assert_eq!(msa2, msh10, "MSA-2 echoes MSH-10");
        let (read_code, _) = read_ack(&ack).expect("the ACK reads");
        assert_eq!(read_code, code);
        assert_eq!(
            parsed.segments_named("ERR").count(),
            errors.len(),
            "one ERR per error"
        );
    }
}
