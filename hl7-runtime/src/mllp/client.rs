//! The MLLP sender: one message at a time, each waiting for its ACK.

use std::fmt;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;
use tracing::{debug, warn};

use super::ack::{AckCode, AckCondition, AckMode, read_ack};
use super::codec::{
    COMMIT_ACK_FRAME, DEFAULT_MAX_FRAME_LENGTH, MllpCodec, MllpError, commit_block, frame,
};
use super::tls::ClientTls;
use crate::er7::Message;

/// When to send a message again.
///
/// The default follows the HL7 reading of the codes: AR and CR (the
/// receiver could not take it now) are retried, AE and CE (the content is
/// wrong; sending it unchanged will not help) are not. Timeouts and lost
/// connections are retried. Every retry waits, doubling from
/// `initial_backoff` up to `max_backoff`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the first retry.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Acknowledgement codes that are retried.
    pub retry_codes: Vec<AckCode>,
    /// Retry when no acknowledgement came in time.
    pub retry_on_timeout: bool,
    /// Retry when the connection failed or dropped (reconnecting first).
    pub retry_on_disconnect: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            retry_codes: vec![AckCode::ApplicationReject, AckCode::CommitReject],
            retry_on_timeout: true,
            retry_on_disconnect: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Sender settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// How long connecting (TCP and TLS) may take.
    pub connect_timeout: Duration,
    /// How long to wait for each acknowledgement.
    pub ack_timeout: Duration,
    /// When to send again.
    pub retry: RetryPolicy,
    /// The largest acknowledgement accepted.
    pub max_frame_length: usize,
    /// MLLP release 2: expect a commit block for each message (a NAK
    /// counts as a failed attempt) and send one for each acknowledgement.
    pub mllp2: bool,
    /// TLS, or `None` for plaintext.
    pub tls: Option<ClientTls>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
            mllp2: false,
            tls: None,
        }
    }
}

/// How a message was delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// MSA-1 of the acknowledgement, or `None` when the message asked for
    /// none (MSH-15 and MSH-16 `NE`).
    pub code: Option<AckCode>,
    /// The acknowledgement's bytes (empty when none).
    pub ack: Vec<u8>,
    /// Attempts made.
    pub attempts: u32,
}

impl Delivery {
    /// Accepted (AA or CA), or no acknowledgement asked for?
    pub fn is_accepted(&self) -> bool {
        self.code.is_none_or(AckCode::is_accept)
    }
}

/// Why a message could not be delivered.
///
/// The `Display` text is for people and may change between releases.
#[derive(Debug)]
pub struct SendError {
    kind: SendErrorKind,
    attempts: u32,
}

#[derive(Debug)]
enum SendErrorKind {
    BadMessage(String),
    Connect(String),
    Transport(MllpError),
    NoAck,
    CommitNak,
    BadAck(String),
}

impl SendError {
    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Is the message itself unusable (not parseable, no MSH-10)?
    pub fn is_bad_message(&self) -> bool {
        matches!(self.kind, SendErrorKind::BadMessage(_))
    }

    /// Did the last attempt time out waiting for the acknowledgement?
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, SendErrorKind::NoAck)
    }

    fn retryable(&self, policy: &RetryPolicy) -> bool {
        match &self.kind {
            SendErrorKind::BadMessage(_) => false,
            SendErrorKind::NoAck => policy.retry_on_timeout,
            SendErrorKind::CommitNak | SendErrorKind::BadAck(_) => true,
            SendErrorKind::Connect(_) | SendErrorKind::Transport(_) => policy.retry_on_disconnect,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SendErrorKind::BadMessage(m) => write!(f, "not sent: {m}"),
            SendErrorKind::Connect(m) => write!(f, "could not connect: {m}"),
            SendErrorKind::Transport(e) => write!(f, "{e}"),
            SendErrorKind::NoAck => f.write_str("no acknowledgement in time"),
            SendErrorKind::CommitNak => {
                f.write_str("the receiver could not commit the message (MLLP NAK)")
            }
            SendErrorKind::BadAck(m) => write!(f, "bad acknowledgement: {m}"),
        }?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            SendErrorKind::Transport(e) => Some(e),
            _ => None,
        }
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An MLLP sender to one address. Connects on first use and again after
/// the connection drops.
///
/// ```no_run
/// use hl7_runtime::mllp::{Client, ClientConfig};
///
/// # async fn run() -> Result<(), hl7_runtime::mllp::SendError> {
/// let mut client = Client::new("127.0.0.1:2575", ClientConfig::default());
/// let delivery = client.send(b"MSH|^~\\&|LAB||EHR||20260101||ADT^A01|42|P|2.5.1\rPID|1\r").await?;
/// println!("{:?} after {} attempts", delivery.code, delivery.attempts);
/// # Ok(()) }
/// ```
pub struct Client {
    addr: String,
    config: ClientConfig,
    conn: Option<Box<dyn Stream>>,
    codec: MllpCodec,
    buf: BytesMut,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("connected", &self.conn.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A sender to `addr` (`host:port`); nothing happens until the first send.
    pub fn new(addr: impl Into<String>, config: ClientConfig) -> Client {
        let codec = MllpCodec::builder()
            .max_frame_length(config.max_frame_length)
            .new_codec();
        Client {
            addr: addr.into(),
            config,
            conn: None,
            codec,
            buf: BytesMut::with_capacity(4096),
        }
    }

    /// Is a connection open?
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Closes the connection, if open.
    pub async fn close(&mut self) {
        if let Some(mut c) = self.conn.take() {
            let _ = c.shutdown().await;
        }
    }

    /// Connects now, if not connected.
    ///
    /// # Errors
    ///
    /// The TCP connection or the TLS handshake failed or timed out.
    pub async fn connect(&mut self) -> Result<(), SendError> {
        if self.conn.is_some() {
            return Ok(());
        }
        let err = |m: String| SendError {
            kind: SendErrorKind::Connect(m),
            attempts: 1,
        };
        let connect = async {
            let tcp = TcpStream::connect(&self.addr)
                .await
                .map_err(|e| format!("{}: {e}", self.addr))?;
            let _ = tcp.set_nodelay(true);
            let stream: Box<dyn Stream> = match &self.config.tls {
                None => Box::new(tcp),
                Some(tls) => {
                    let host = self
                        .addr
                        .rsplit_once(':')
                        .map_or(self.addr.as_str(), |(h, _)| h)
                        .trim_start_matches('[')
                        .trim_end_matches(']');
                    let name = ClientTls::server_name(host).map_err(|e| e.to_string())?;
                    let s = tls
                        .connector_ref()
                        .connect(name, tcp)
                        .await
                        .map_err(|e| format!("TLS handshake with {}: {e}", self.addr))?;
                    Box::new(s)
                }
            };
            Ok::<_, String>(stream)
        };
        let stream = tokio::time::timeout(self.config.connect_timeout, connect)
            .await
            .map_err(|_| err(format!("{}: timed out", self.addr)))?
            .map_err(err)?;
        debug!(addr = %self.addr, "connected");
        self.conn = Some(stream);
        self.buf.clear();
        self.codec = MllpCodec::builder()
            .max_frame_length(self.config.max_frame_length)
            .new_codec();
        Ok(())
    }

    /// Sends one message and waits for its acknowledgement, retrying by
    /// the policy. An acknowledgement whose MSA-2 is not this message's
    /// MSH-10 (a late answer to an earlier attempt) is skipped.
    ///
    /// Returns the last acknowledgement received, also when it is not an
    /// accept (see [`Delivery::is_accepted`]).
    ///
    /// # Errors
    ///
    /// The message's MSH does not parse or has no MSH-10 (the rest of the
    /// message is the receiver's to judge), or no acknowledgement came
    /// after all the attempts.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if the future is dropped, the message may or may
    /// not have been delivered, and a late acknowledgement may still come;
    /// it would be skipped by the next send.
    pub async fn send(&mut self, message: &[u8]) -> Result<Delivery, SendError> {
        let bad = |m: String| SendError {
            kind: SendErrorKind::BadMessage(m),
            attempts: 0,
        };
        // Only the header matters here (the receiver parses the rest).
        let header_end = message
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(message.len());
        let msg = Message::parse(&message[..header_end]).map_err(|e| bad(e.to_string()))?;
        let control_id = msg
            .get(&crate::er7::Path::field(*b"MSH", 10))
            .map(|v| v.text().into_owned())
            .unwrap_or_default();
        if control_id.is_empty() {
            return Err(bad("the message has no control id (MSH-10)".into()));
        }
        let expects_ack = !matches!(
            AckMode::of(&msg),
            AckMode::Enhanced {
                accept: AckCondition::Never,
                application: AckCondition::Never
            }
        );
        let wire = frame(message).map_err(|e| bad(e.to_string()))?;
        let policy = self.config.retry.clone();
        let max = policy.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.attempt(&wire, &control_id, expects_ack).await;
            match result {
                Ok((code, ack)) => {
                    let retry = code.is_some_and(|c| policy.retry_codes.contains(&c));
                    if !retry || attempt >= max {
                        return Ok(Delivery {
                            code,
                            ack,
                            attempts: attempt,
                        });
                    }
                    debug!(control_id, ?code, attempt, "retrying by policy");
                }
                Err(kind) => {
                    let e = SendError {
                        kind,
                        attempts: attempt,
                    };
                    // A connection in an unknown state is not reused.
                    self.close().await;
                    if !e.retryable(&policy) || attempt >= max {
                        return Err(e);
                    }
                    warn!(control_id, error = %e, attempt, "attempt failed; retrying");
                }
            }
            tokio::time::sleep(policy.backoff(attempt)).await;
        }
    }

    async fn attempt(
        &mut self,
        wire: &[u8],
        control_id: &str,
        expects_ack: bool,
    ) -> Result<(Option<AckCode>, Vec<u8>), SendErrorKind> {
        if let Err(e) = self.connect().await {
            return Err(e.kind);
        }
        let ack_timeout = self.config.ack_timeout;
        let mllp2 = self.config.mllp2;
        let conn = self.conn.as_mut().ok_or(SendErrorKind::NoAck)?;
        let write = async {
            conn.write_all(wire).await?;
            conn.flush().await
        };
        match tokio::time::timeout(ack_timeout, write).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(SendErrorKind::Transport(e.into())),
            Err(_) => return Err(SendErrorKind::NoAck),
        }
        if !expects_ack && !mllp2 {
            return Ok((None, Vec::new()));
        }
        let deadline = tokio::time::Instant::now() + ack_timeout;
        let mut committed = !mllp2;
        loop {
            let frame = match self.codec.decode(&mut self.buf) {
                Ok(Some(f)) => f,
                Ok(None) => {
                    let conn = self.conn.as_mut().ok_or(SendErrorKind::NoAck)?;
                    match tokio::time::timeout_at(deadline, conn.read_buf(&mut self.buf)).await {
                        Err(_) => return Err(SendErrorKind::NoAck),
                        Ok(Ok(0)) => {
                            return Err(SendErrorKind::Transport(MllpError::Io(
                                std::io::Error::new(
                                    std::io::ErrorKind::UnexpectedEof,
                                    "the receiver closed the connection before acknowledging",
                                ),
                            )));
                        }
                        Ok(Ok(_)) => continue,
                        Ok(Err(e)) => return Err(SendErrorKind::Transport(e.into())),
                    }
                }
                Err(e) => return Err(SendErrorKind::Transport(e)),
            };
            if mllp2 && let Some(ok) = commit_block(&frame) {
                if !ok {
                    return Err(SendErrorKind::CommitNak);
                }
                committed = true;
                if !expects_ack {
                    return Ok((None, Vec::new()));
                }
                continue;
            }
            if mllp2 {
                // Commit the acknowledgement we received.
                if let Some(conn) = self.conn.as_mut() {
                    let _ = conn.write_all(&COMMIT_ACK_FRAME).await;
                    let _ = conn.flush().await;
                }
            }
            match read_ack(&frame) {
                Ok((code, id)) if id == control_id => {
                    if !committed {
                        debug!(control_id, "acknowledgement before the commit block");
                    }
                    return Ok((Some(code), frame.to_vec()));
                }
                Ok((code, id)) => {
                    debug!(control_id, got = %id, %code, "skipping an acknowledgement of another message");
                }
                Err(e) => {
                    warn!(control_id, error = %e, "the receiver answered with something that is not an acknowledgement");
                    return Err(SendErrorKind::BadAck(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(350));
        assert_eq!(p.backoff(60), Duration::from_millis(350));
        assert_eq!(RetryPolicy::none().max_attempts, 1);
    }

    #[tokio::test]
    async fn bad_messages_are_not_sent() {
        let mut c = Client::new("127.0.0.1:9", ClientConfig::default());
        let e = c.send(b"not hl7").await.unwrap_err();
        assert!(e.is_bad_message());
        let e = c
            .send(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01||P|2.5\r")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("MSH-10"), "{e}");
        assert!(!c.is_connected());
    }
}
