//! MLLP transport (feature `mllp`): framing, acknowledgements, a validating
//! listener and a sender, with TLS.
//!
//! HL7 v2 travels over TCP in MLLP frames: a start block (0x0B), the
//! message, an end block (0x1C) and a carriage return. This module has four
//! layers, each usable alone:
//!
//! 1. [`MllpCodec`]: a tokio-util [`Decoder`](tokio_util::codec::Decoder)
//!    and [`Encoder`](tokio_util::codec::Encoder) over `BytesMut`. No
//!    sockets, no parsing: frames in, payloads out.
//! 2. [`ack`]: acknowledgements built from a parsed message, in original or
//!    enhanced mode, with ERR segments from validation findings.
//! 3. [`Server`]: the listener. For each frame it parses, validates,
//!    routes to a [`Handler`], stores durably (feature `store`), then
//!    answers.
//! 4. [`Client`]: the sender. Waits for each ACK, checks MSA-2, retries by
//!    a [`RetryPolicy`], reconnects.
//!
//! # Decoding frames
//!
//! A decoder must cope with whatever TCP delivers: several frames in one
//! read, a frame in many reads, noise between frames. [`MllpCodec`] keeps
//! its place between calls, so feeding it byte by byte costs no rescanning:
//!
//! ```
//! use bytes::BytesMut;
//! use hl7_runtime::mllp::MllpCodec;
//! use tokio_util::codec::Decoder;
//!
//! let mut codec = MllpCodec::new();
//! let mut buf = BytesMut::new();
//! let wire = b"\r\n\x0bMSH|^~\\&|A\r\x1c\r\x0bMSH|^~\\&|B\r\x1c\r";
//! let mut frames = Vec::new();
//! for &b in wire {
//!     buf.extend_from_slice(&[b]);
//!     while let Some(frame) = codec.decode(&mut buf)? {
//!         frames.push(frame);
//!     }
//! }
//! assert_eq!(frames.len(), 2);
//! assert_eq!(codec.discarded_bytes(), 2); // the CR LF before the first frame
//! # Ok::<(), hl7_runtime::mllp::MllpError>(())
//! ```
//!
//! The decoder is tolerant by default, as MLLP release 2 asks of a
//! receiver: bytes before a start block are dropped and counted, a start
//! block inside a frame restarts the frame. [`Mode::Strict`] turns both
//! into errors. An end block without its CR is kept as payload unless
//! [`Builder::accept_bare_end_block`] is set. Frames are bounded
//! ([`DEFAULT_MAX_FRAME_LENGTH`], 16 MiB): a larger one gives
//! [`MllpError::FrameTooLarge`] once, then the decoder skips to its end.
//! A partial frame at end of stream is [`MllpError::IncompleteFrame`];
//! the time a partial frame may take is the connection's business
//! ([`ServerConfig::read_timeout`]).
//!
//! # Acknowledging
//!
//! ```
//! use hl7_runtime::er7::Message;
//! use hl7_runtime::mllp::ack::{build_ack, AckCode, AckError, AckOptions, ErrSeverity};
//!
//! let msg = Message::parse(b"MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101||ADT^A01^ADT_A01|MSG1|P|2.5.1\rPID|1\r")?;
//! let errors = [AckError {
//!     location: "PID[1]-3".into(),
//!     code: 101,
//!     severity: ErrSeverity::Error,
//!     message: "PID-3 is required".into(),
//! }];
//! let ack = build_ack(&msg, AckCode::ApplicationError, &errors, "ACK1", &AckOptions::default());
//! let ack = Message::parse(&ack)?;
//! assert_eq!(ack.get(&"MSH-3".parse()?).unwrap().text(), "EHR"); // swapped
//! assert_eq!(ack.get(&"MSH-9".parse()?).unwrap().raw(), b"ACK^A01^ACK");
//! assert_eq!(ack.get(&"MSA-2".parse()?).unwrap().text(), "MSG1");
//! assert_eq!(ack.get(&"ERR-2".parse()?).unwrap().raw(), b"PID^1^3^1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The listener picks the code: AA when all is well; AE for content errors
//! (validation errors, an unparseable message, a handler's
//! [`HandlerError::content`]); AR for an unsupported message type, event,
//! version or processing id, and for failures of the receiver (the store,
//! a handler's [`HandlerError::internal`]). In enhanced mode (MSH-15 or
//! MSH-16 valued) it sends the accept acknowledgement (CA/CE/CR) when
//! MSH-15 asks for it, then the application acknowledgement (AA/AE/AR) on
//! the same connection when MSH-16 asks for it.
//!
//! # Serving
//!
//! ```no_run
//! use hl7_runtime::er7::Message;
//! use hl7_runtime::mllp::{Context, HandlerError, Router, Server, ServerConfig};
//! use hl7_runtime::validate::{Catalog, Options};
//!
//! # async fn run() -> std::io::Result<()> {
//! let (catalog, _) = Catalog::open("2.5.1", Options::default()).expect("bundled version");
//! let router = Router::new().route("ADT^A01", |msg: &Message<'_>, _: &Context<'_>| {
//!     match msg.get(&"PID-3.1".parse().expect("path")) {
//!         Some(_) => Ok(()),
//!         None => Err(HandlerError::content("no patient id").at("PID-3")),
//!     }
//! });
//! let server = Server::new(ServerConfig::default())
//!     .with_catalog(catalog)
//!     .with_router(router);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:2575").await?;
//! server.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! Handlers can also take typed messages: [`typed_route!`](crate::typed_route)
//! routes every event of a [`typed::Message`](crate::typed::Message) type
//! (a stock one such as `stock::v2_5_1::AdtA01`, or one generated from a
//! profile) to a closure that receives it typed.
//!
//! Connections are served concurrently up to
//! [`ServerConfig::max_connections`]; each is lockstep (one message
//! handled, stored and answered before the next is read). With a store
//! (feature `store`, [`Server::with_store`]) every message, valid or not,
//! is committed with its metadata, findings and the ACK before that ACK
//! is sent, so an acknowledged message survives a crash. Commits of all
//! connections are grouped by the store. Shutdown stops accepting, lets
//! each connection finish its message, and returns.
//!
//! # Sending
//!
//! [`Client::send`] frames the message, writes it in one write, waits up to
//! [`ClientConfig::ack_timeout`] for an acknowledgement whose MSA-2 is the
//! message's MSH-10, and retries by [`RetryPolicy`] (by default AR/CR,
//! timeouts and dropped connections are retried; AE/CE are final).
//!
//! # TLS
//!
//! [`ServerTls`] holds the server certificate, optionally the CAs client
//! certificates must chain to (mTLS), and whether plaintext is accepted on
//! the same port (the first byte tells a TLS handshake from MLLP).
//! [`ClientTls`] holds the CAs a sender trusts and its own certificate.
//!
//! # MLLP release 2
//!
//! With [`ServerConfig::mllp2`] the listener sends a commit block (ACK
//! 0x06 once stored, NAK 0x15 when not) before the HL7 acknowledgement,
//! and ignores the commit blocks the peer sends back. [`ClientConfig::mllp2`]
//! is the sender's side.

pub mod ack;
mod client;
mod codec;
mod server;
mod tls;

pub use client::{Client, ClientConfig, Delivery, RetryPolicy, SendError};
pub use codec::{
    Builder, CARRIAGE_RETURN, COMMIT_ACK, COMMIT_ACK_FRAME, COMMIT_NAK, COMMIT_NAK_FRAME,
    DEFAULT_MAX_FRAME_LENGTH, END_BLOCK, MllpCodec, MllpError, Mode, START_BLOCK, commit_block,
    encode_frame, frame,
};
pub use server::{Context, Handler, HandlerError, Router, Server, ServerConfig, ServerStats};
pub use tls::{ClientTls, ServerTls, TlsError};
