//! The validating MLLP listener: parse → validate → route → store → ACK.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::codec::Decoder;
use tracing::{debug, info, warn};

use super::ack::{
    AckCode, AckError, AckMode, AckOptions, ErrSeverity, Verdict, build_ack, build_bare_ack,
    next_control_id,
};
use super::codec::{
    COMMIT_ACK_FRAME, COMMIT_NAK_FRAME, DEFAULT_MAX_FRAME_LENGTH, MllpCodec, Mode, commit_block,
    encode_frame,
};
use super::tls::ServerTls;
use crate::er7::Message;

/// Listener settings. `ServerConfig::default()` is a sensible start.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Connections served at once; more are accepted and closed at once.
    pub max_connections: usize,
    /// How long a frame may take to arrive once its start block is in
    /// (MLLP R2 suggests at least twice the sender's ACK timeout). On
    /// expiry the partial frame is discarded and the connection closed.
    pub read_timeout: Duration,
    /// How long a connection may stay silent between frames.
    pub idle_timeout: Duration,
    /// How long writing an acknowledgement may take.
    pub write_timeout: Duration,
    /// TCP keepalive idle time (`None`: off).
    pub keepalive: Option<Duration>,
    /// The largest frame accepted; a larger one closes the connection.
    pub max_frame_length: usize,
    /// Tolerant or strict framing.
    pub mode: Mode,
    /// Whether an end block without CR ends a frame.
    pub accept_bare_end_block: bool,
    /// MLLP release 2: send a commit block (ACK when stored, NAK when not)
    /// before the HL7 acknowledgement, and read the peer's commit blocks
    /// without treating them as messages.
    pub mllp2: bool,
    /// How acknowledgements are built.
    pub ack: AckOptions,
    /// Processing ids (MSH-11.1) accepted; empty accepts any. Others get
    /// AR with code 202.
    pub processing_ids: Vec<String>,
    /// On shutdown, how long a connection may take to finish a frame it
    /// has started.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_connections: 256,
            read_timeout: Duration::from_secs(40),
            idle_timeout: Duration::from_mins(10),
            write_timeout: Duration::from_secs(30),
            keepalive: Some(Duration::from_mins(1)),
            max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
            mode: Mode::Tolerant,
            accept_bare_end_block: false,
            mllp2: false,
            ack: AckOptions::default(),
            processing_ids: Vec::new(),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Why a handler did not accept a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError {
    internal: bool,
    message: String,
    location: String,
}

impl HandlerError {
    /// A content problem: the message is answered AE.
    pub fn content(message: impl Into<String>) -> Self {
        HandlerError {
            internal: false,
            message: message.into(),
            location: String::new(),
        }
    }

    /// A failure of the handler: the message is answered AR (code 207).
    pub fn internal(message: impl Into<String>) -> Self {
        HandlerError {
            internal: true,
            message: message.into(),
            location: String::new(),
        }
    }

    /// Where the problem is (a path such as `PID-3`), for ERR-2.
    #[must_use]
    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = location.into();
        self
    }

    /// Is this a failure of the handler rather than of the content?
    pub fn is_internal(&self) -> bool {
        self.internal
    }

    /// The text.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

/// What a handler knows besides the message.
#[derive(Debug)]
pub struct Context<'a> {
    /// The peer's address.
    pub peer: &'a str,
    /// Whether the store already holds a message with this sender and
    /// control id (only known when a store is configured).
    pub duplicate_of: Option<i64>,
}

/// Handles messages of the types it is routed. Called on a runtime thread
/// once the message has been validated without errors, before it is
/// stored: keep it short, or hand work to another task.
pub trait Handler: Send + Sync {
    /// Accepts the message, or says why not.
    ///
    /// # Errors
    ///
    /// [`HandlerError::content`] for AE, [`HandlerError::internal`] for AR.
    fn handle(&self, msg: &Message<'_>, ctx: &Context<'_>) -> Result<(), HandlerError>;
}

impl<F> Handler for F
where
    F: Fn(&Message<'_>, &Context<'_>) -> Result<(), HandlerError> + Send + Sync,
{
    fn handle(&self, msg: &Message<'_>, ctx: &Context<'_>) -> Result<(), HandlerError> {
        self(msg, ctx)
    }
}

/// Routes messages to handlers by MSH-9 type and event.
///
/// A route is `ADT^A01` (type and event), `ADT` or `ADT^*` (any event of
/// the type). The most specific route wins, then the fallback. With no
/// route at all every valid message is accepted; with routes, a message
/// none matches is rejected (AR, code 200 or 201).
#[derive(Clone, Default)]
pub struct Router {
    routes: Vec<(String, Option<String>, Arc<dyn Handler>)>,
    fallback: Option<Arc<dyn Handler>>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field(
                "routes",
                &self
                    .routes
                    .iter()
                    .map(|(t, e, _)| format!("{t}^{}", e.as_deref().unwrap_or("*")))
                    .collect::<Vec<_>>(),
            )
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

impl Router {
    /// No routes.
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a route (`ADT^A01`, `ADT`, `ADT^*`).
    #[must_use]
    pub fn route(mut self, pattern: &str, handler: impl Handler + 'static) -> Router {
        let (ty, ev) = match pattern.split_once('^') {
            Some((t, "*")) => (t, None),
            Some((t, e)) => (t, Some(e.to_ascii_uppercase())),
            None => (pattern, None),
        };
        self.routes
            .push((ty.trim().to_ascii_uppercase(), ev, Arc::new(handler)));
        self
    }

    /// Routes each of `events` (`ADT^A01`, `ADT^A04`, ...) to one handler:
    /// for a typed message, its `META.events` (see [`typed_route!`](crate::typed_route)).
    #[must_use]
    pub fn route_events(mut self, events: &[&str], handler: impl Handler + 'static) -> Router {
        let handler: Arc<dyn Handler> = Arc::new(handler);
        for pattern in events {
            let (ty, ev) = match pattern.split_once('^') {
                Some((t, "*")) => (t, None),
                Some((t, e)) => (t, Some(e.to_ascii_uppercase())),
                None => (*pattern, None),
            };
            self.routes
                .push((ty.trim().to_ascii_uppercase(), ev, Arc::clone(&handler)));
        }
        self
    }

    /// The handler for messages no route matches.
    #[must_use]
    pub fn fallback(mut self, handler: impl Handler + 'static) -> Router {
        self.fallback = Some(Arc::new(handler));
        self
    }

    /// No route and no fallback?
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.fallback.is_none()
    }

    /// The handler for a type and event, or the code (200, 201) saying why none.
    fn find(&self, ty: &str, ev: &str) -> Result<&Arc<dyn Handler>, u16> {
        let exact = self
            .routes
            .iter()
            .find(|(t, e, _)| t.eq_ignore_ascii_case(ty) && e.as_deref() == Some(ev));
        let any = || {
            self.routes
                .iter()
                .find(|(t, e, _)| t.eq_ignore_ascii_case(ty) && e.is_none())
        };
        if let Some((_, _, h)) = exact.or_else(any) {
            return Ok(h);
        }
        if let Some(h) = &self.fallback {
            return Ok(h);
        }
        if self
            .routes
            .iter()
            .any(|(t, _, _)| t.eq_ignore_ascii_case(ty))
        {
            Err(201)
        } else {
            Err(200)
        }
    }
}

/// Routes the events of a typed message (a type implementing
/// [`typed::Message`](crate::typed::Message), such as the stock
/// `hl7_runtime::stock::v2_5_1::AdtA01` or one generated from a profile)
/// to a handler that receives it typed.
///
/// `typed_route!(router, path::To::Type, handler)` adds a route for every
/// event in the type's `META.events`; the handler is a closure
/// `|msg: Type<'_>, ctx: &Context<'_>| -> Result<(), HandlerError>`. A
/// message that does not read as the type (a required segment missing)
/// is answered AE with the reason, without calling the handler.
///
/// ```
/// # #[cfg(feature = "v2_5_1")] {
/// use hl7_runtime::mllp::{Context, HandlerError, Router};
/// use hl7_runtime::stock::v2_5_1::AdtA01;
///
/// let router = hl7_runtime::typed_route!(
///     Router::new(),
///     AdtA01,
///     |adt: AdtA01<'_>, _ctx: &Context<'_>| {
///         if adt.pid.patient_identifier_list.is_empty() {
///             return Err(HandlerError::content("no patient id").at("PID-3"));
///         }
///         Ok(())
///     }
/// );
/// assert!(!router.is_empty());
/// # }
/// ```
#[macro_export]
macro_rules! typed_route {
    ($router:expr, $($ty:ident)::+, $handler:expr $(,)?) => {{
        let handler = $handler;
        $router.route_events(
            <$($ty)::+<'static> as $crate::typed::Message<'static>>::META.events,
            move |msg: &$crate::er7::Message<'_>, ctx: &$crate::mllp::Context<'_>| {
                match <$($ty)::+<'_> as $crate::typed::Message<'_>>::from_message(msg) {
                    ::core::result::Result::Ok(typed) => handler(typed, ctx),
                    ::core::result::Result::Err(e) => ::core::result::Result::Err(
                        $crate::mllp::HandlerError::content(e.to_string()),
                    ),
                }
            },
        )
    }};
}

/// Counters of a running listener.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections served.
    pub connections: AtomicU64,
    /// Connections refused for the connection limit or a failed TLS handshake.
    pub refused: AtomicU64,
    /// Frames that held a message.
    pub messages: AtomicU64,
    /// Messages accepted (AA / CA).
    pub accepted: AtomicU64,
    /// Messages answered AE.
    pub errors: AtomicU64,
    /// Messages answered AR.
    pub rejected: AtomicU64,
    /// Messages that could not be stored.
    pub store_failures: AtomicU64,
    /// Bytes dropped by the decoders (noise, partial and oversize frames).
    pub discarded_bytes: AtomicU64,
    /// Connections closed for a partial frame that did not complete in time.
    pub frame_timeouts: AtomicU64,
    /// Connections closed for an oversize frame or strict-mode framing errors.
    pub framing_errors: AtomicU64,
}

impl ServerStats {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// A counter's value.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The MLLP listener. Configure it, then [`Server::serve`] a bound
/// [`TcpListener`].
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    #[cfg(feature = "validate")]
    catalog: Option<std::sync::Mutex<crate::validate::Catalog>>,
    #[cfg(feature = "store")]
    store: Option<Arc<dyn crate::store::Store>>,
    router: Router,
    tls: Option<ServerTls>,
    stats: Arc<ServerStats>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.inner.config)
            .field("router", &self.inner.router)
            .field("tls", &self.inner.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// What processing one frame produced.
#[derive(Debug)]
struct Outcome {
    verdict: Verdict,
    /// The frames' payloads to send back (zero, one or two acknowledgements).
    acks: Vec<Vec<u8>>,
    /// The primary acknowledgement code.
    code: Option<AckCode>,
}

impl Server {
    /// A listener with `config`, no validation, no store and no routes.
    pub fn new(config: ServerConfig) -> Server {
        Server {
            inner: Arc::new(Inner {
                config,
                #[cfg(feature = "validate")]
                catalog: None,
                #[cfg(feature = "store")]
                store: None,
                router: Router::new(),
                tls: None,
                stats: Arc::new(ServerStats::default()),
            }),
        }
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::get_mut(&mut self.inner).expect("a Server is configured before it serves")
    }

    /// Validates every message against the profile the catalog picks.
    #[cfg(feature = "validate")]
    #[must_use]
    pub fn with_catalog(mut self, catalog: crate::validate::Catalog) -> Server {
        self.inner_mut().catalog = Some(std::sync::Mutex::new(catalog));
        self
    }

    /// Stores every message durably before acknowledging it.
    #[cfg(feature = "store")]
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn crate::store::Store>) -> Server {
        self.inner_mut().store = Some(store);
        self
    }

    /// Routes messages to handlers.
    #[must_use]
    pub fn with_router(mut self, router: Router) -> Server {
        self.inner_mut().router = router;
        self
    }

    /// Serves TLS (see [`ServerTls`] for mTLS and plaintext alongside).
    #[must_use]
    pub fn with_tls(mut self, tls: ServerTls) -> Server {
        self.inner_mut().tls = Some(tls);
        self
    }

    /// The counters, shared with the running listener.
    pub fn stats(&self) -> Arc<ServerStats> {
        Arc::clone(&self.inner.stats)
    }

    /// Accepts connections until `shutdown` completes, then stops
    /// accepting, lets every connection finish the message it is handling
    /// (and a frame it has started, for up to
    /// [`ServerConfig::shutdown_grace`]), and returns.
    ///
    /// # Errors
    ///
    /// Only errors of the listening socket itself end serving early.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future drops open connections without
    /// finishing their messages. Use `shutdown` to stop.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> io::Result<()> {
        let inner = self.inner;
        let (stop_tx, stop_rx) = watch::channel(false);
        let limit = Arc::new(Semaphore::new(inner.config.max_connections.max(1)));
        let mut tasks = JoinSet::new();
        let local = listener.local_addr()?;
        info!(%local, tls = inner.tls.is_some(), "MLLP listener started");
        tokio::pin!(shutdown);
        let mut accept_errors = 0u32;
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                accepted = listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(a) => { accept_errors = 0; a }
                        Err(e) => {
                            // Out of file descriptors and the like: back off.
                            accept_errors += 1;
                            warn!(error = %e, "accept failed");
                            if accept_errors > 1000 {
                                return Err(e);
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
                        warn!(%peer, max = inner.config.max_connections, "connection limit reached; closing");
                        ServerStats::add(&inner.stats.refused, 1);
                        drop(tcp);
                        continue;
                    };
                    let inner = Arc::clone(&inner);
                    let stop = stop_rx.clone();
                    tasks.spawn(async move {
                        inner.accepted(tcp, peer, stop).await;
                        drop(permit);
                    });
                }
            }
        }
        drop(listener);
        info!(
            connections = tasks.len(),
            "MLLP listener stopping: finishing messages in flight"
        );
        let _ = stop_tx.send(true);
        let grace = inner.config.shutdown_grace + Duration::from_secs(1);
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            warn!(
                connections = tasks.len(),
                "connections still open after the grace period; closing them"
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        info!("MLLP listener stopped");
        Ok(())
    }

    /// Processes one frame's payload as the listener would (parse,
    /// validate, route, store) and returns the acknowledgements to send,
    /// each a payload to frame. Useful for other transports and tests.
    pub async fn process(&self, payload: &[u8], peer: &str) -> Vec<Vec<u8>> {
        self.inner.process(payload, peer).await.acks
    }
}

impl Inner {
    async fn accepted(&self, tcp: TcpStream, peer: SocketAddr, stop: watch::Receiver<bool>) {
        let _ = tcp.set_nodelay(true);
        if let Some(idle) = self.config.keepalive {
            let ka = socket2::TcpKeepalive::new()
                .with_time(idle)
                .with_interval(Duration::from_secs(10));
            if let Err(e) = socket2::SockRef::from(&tcp).set_tcp_keepalive(&ka) {
                debug!(%peer, error = %e, "could not set TCP keepalive");
            }
        }
        ServerStats::add(&self.stats.connections, 1);
        let peer_s = peer.to_string();
        match &self.tls {
            None => self.connection(tcp, &peer_s, stop).await,
            Some(tls) => {
                if tls.allows_plaintext() {
                    let mut first = [0u8; 1];
                    let peeked =
                        tokio::time::timeout(self.config.idle_timeout, tcp.peek(&mut first)).await;
                    match peeked {
                        Ok(Ok(1)) if first[0] != 0x16 => {
                            debug!(peer = %peer_s, "plaintext connection on a TLS listener");
                            return self.connection(tcp, &peer_s, stop).await;
                        }
                        Ok(Ok(1)) => {}
                        _ => return,
                    }
                }
                let handshake =
                    tokio::time::timeout(self.config.read_timeout, tls.acceptor().accept(tcp))
                        .await;
                match handshake {
                    Ok(Ok(stream)) => {
                        debug!(peer = %peer_s, "TLS handshake done");
                        self.connection(stream, &peer_s, stop).await;
                    }
                    Ok(Err(e)) => {
                        warn!(peer = %peer_s, error = %e, "TLS handshake failed; closing");
                        ServerStats::add(&self.stats.refused, 1);
                    }
                    Err(_) => {
                        warn!(peer = %peer_s, "TLS handshake timed out; closing");
                        ServerStats::add(&self.stats.refused, 1);
                    }
                }
            }
        }
    }

    async fn connection<S>(&self, mut stream: S, peer: &str, mut stop: watch::Receiver<bool>)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        debug!(%peer, "connection open");
        let mut codec = MllpCodec::builder()
            .max_frame_length(self.config.max_frame_length)
            .mode(self.config.mode)
            .accept_bare_end_block(self.config.accept_bare_end_block)
            .new_codec();
        let mut buf = BytesMut::with_capacity(16 * 1024);
        let mut out = BytesMut::with_capacity(1024);
        let mut stopping = *stop.borrow();
        let mut reported_discards = 0;
        loop {
            // Every complete frame already buffered first.
            loop {
                match codec.decode(&mut buf) {
                    Ok(Some(frame)) => {
                        if self.config.mllp2 && commit_block(&frame).is_some() {
                            continue;
                        }
                        let outcome = self.process(&frame, peer).await;
                        out.clear();
                        if self.config.mllp2 {
                            let committed = outcome.verdict != Verdict::InternalFailure;
                            out.extend_from_slice(if committed {
                                &COMMIT_ACK_FRAME
                            } else {
                                &COMMIT_NAK_FRAME
                            });
                        }
                        for ack in &outcome.acks {
                            if let Err(e) = encode_frame(ack, &mut out) {
                                warn!(%peer, error = %e, "acknowledgement not sent");
                            }
                        }
                        if out.is_empty() {
                            continue;
                        }
                        let write = async {
                            stream.write_all(&out).await?;
                            stream.flush().await
                        };
                        match tokio::time::timeout(self.config.write_timeout, write).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => {
                                info!(%peer, error = %e, "could not send the acknowledgement; closing");
                                return self.closed(&codec, reported_discards);
                            }
                            Err(_) => {
                                warn!(%peer, "sending the acknowledgement timed out; closing");
                                return self.closed(&codec, reported_discards);
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        warn!(%peer, error = %e, "closing the connection");
                        ServerStats::add(&self.stats.framing_errors, 1);
                        return self.closed(&codec, reported_discards);
                    }
                }
            }
            if codec.discarded_bytes() > reported_discards {
                debug!(
                    %peer,
                    bytes = codec.discarded_bytes() - reported_discards,
                    "discarded bytes outside frames"
                );
                ServerStats::add(
                    &self.stats.discarded_bytes,
                    codec.discarded_bytes() - reported_discards,
                );
                reported_discards = codec.discarded_bytes();
            }
            let mid = codec.is_mid_frame() || !buf.is_empty();
            if stopping && !mid {
                debug!(%peer, "closing for shutdown");
                break;
            }
            let wait = match (mid, stopping) {
                (true, true) => self.config.read_timeout.min(self.config.shutdown_grace),
                (true, false) => self.config.read_timeout,
                (false, _) => self.config.idle_timeout,
            };
            tokio::select! {
                read = tokio::time::timeout(wait, stream.read_buf(&mut buf)) => match read {
                    Ok(Ok(0)) => {
                        if codec.is_mid_frame() {
                            match codec.decode_eof(&mut buf) {
                                Ok(Some(frame)) => {
                                    // A bare end block at the very end.
                                    let outcome = self.process(&frame, peer).await;
                                    debug!(%peer, code = ?outcome.code, "peer closed; no one to answer");
                                }
                                Ok(None) => {}
                                Err(e) => warn!(%peer, error = %e, "peer closed in the middle of a frame"),
                            }
                        }
                        debug!(%peer, "peer closed the connection");
                        break;
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        debug!(%peer, error = %e, "read failed; closing");
                        break;
                    }
                    Err(_) if mid => {
                        let partial = buf.len();
                        codec.reset(&mut buf);
                        ServerStats::add(&self.stats.frame_timeouts, 1);
                        warn!(%peer, bytes = partial, timeout = ?wait, "partial frame timed out; discarded, closing");
                        break;
                    }
                    Err(_) => {
                        info!(%peer, timeout = ?wait, "idle connection; closing");
                        break;
                    }
                },
                changed = stop.changed(), if !stopping => {
                    stopping = true;
                    let _ = changed;
                }
            }
        }
        self.closed(&codec, reported_discards);
        let _ = stream.shutdown().await;
    }

    fn closed(&self, codec: &MllpCodec, reported: u64) {
        ServerStats::add(
            &self.stats.discarded_bytes,
            codec.discarded_bytes().saturating_sub(reported),
        );
    }

    /// Parse → validate → route → store, and the acknowledgements to send.
    async fn process(&self, payload: &[u8], peer: &str) -> Outcome {
        ServerStats::add(&self.stats.messages, 1);
        let received_at = SystemTime::now();
        let msg = match Message::parse(payload) {
            Ok(m) => m,
            Err(e) => return self.unparseable(payload, &e, peer, received_at).await,
        };
        let header = Header::of(&msg);
        if header.message_type.eq_ignore_ascii_case("ACK") {
            // Acknowledgements are not acknowledged.
            debug!(%peer, control_id = %header.control_id, "received an acknowledgement; not answering");
            let outcome = Outcome {
                verdict: Verdict::Accept,
                acks: Vec::new(),
                code: None,
            };
            return self
                .store(&msg, &header, outcome, Vec::new(), peer, received_at)
                .await;
        }
        let mut errors: Vec<AckError> = Vec::new();
        let mut verdict = Verdict::Accept;
        // Processing id.
        if !self.config.processing_ids.is_empty()
            && !self
                .config
                .processing_ids
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&header.processing_id))
        {
            verdict = Verdict::Reject;
            errors.push(AckError {
                location: "MSH[1]-11".into(),
                code: 202,
                severity: ErrSeverity::Error,
                message: format!(
                    "processing id `{}` is not accepted here (accepted: {})",
                    header.processing_id,
                    self.config.processing_ids.join(", ")
                ),
            });
        }
        // Validation.
        #[cfg(feature = "validate")]
        if verdict == Verdict::Accept
            && let Some(catalog) = &self.catalog
        {
            let report = match catalog.lock() {
                Ok(mut c) => c.validate(&msg),
                Err(poisoned) => poisoned.into_inner().validate(&msg),
            };
            for f in &report.findings {
                if f.severity == crate::validate::Severity::Error {
                    let unsupported = matches!(f.code.hl7_code(), 200..=203);
                    if unsupported {
                        verdict = Verdict::Reject;
                    } else if verdict == Verdict::Accept {
                        verdict = Verdict::Error;
                    }
                }
                errors.push(AckError::from(f));
            }
        }
        // Routing.
        let mut duplicate_of = None;
        if verdict == Verdict::Accept && !self.router.is_empty() {
            match self.router.find(&header.message_type, &header.event) {
                Err(code) => {
                    verdict = Verdict::Reject;
                    errors.push(AckError {
                        location: "MSH[1]-9".into(),
                        code,
                        severity: ErrSeverity::Error,
                        message: format!("no handler for {}^{}", header.message_type, header.event),
                    });
                }
                Ok(handler) => {
                    duplicate_of = self.find_duplicate(&header).await;
                    if let Some(original) = duplicate_of {
                        info!(%peer, control_id = %header.control_id, original, "duplicate message: handler not run again");
                    } else {
                        let ctx = Context { peer, duplicate_of };
                        if let Err(e) = handler.handle(&msg, &ctx) {
                            verdict = if e.internal {
                                Verdict::InternalFailure
                            } else {
                                Verdict::Error
                            };
                            errors.push(AckError {
                                location: e.location.clone(),
                                code: if e.internal { 207 } else { 102 },
                                severity: ErrSeverity::Error,
                                message: e.message.clone(),
                            });
                        }
                    }
                }
            }
        }
        let _ = duplicate_of;
        let outcome = self.acks(&msg, verdict, &errors);
        self.store(&msg, &header, outcome, errors, peer, received_at)
            .await
    }

    /// The acknowledgements for a verdict, by the message's mode.
    fn acks(&self, msg: &Message<'_>, verdict: Verdict, errors: &[AckError]) -> Outcome {
        let opts = &self.config.ack;
        match AckMode::of(msg) {
            AckMode::Original => {
                let code = verdict.application_code();
                Outcome {
                    verdict,
                    acks: vec![build_ack(msg, code, errors, &next_control_id(), opts)],
                    code: Some(code),
                }
            }
            AckMode::Enhanced {
                accept,
                application,
            } => {
                let mut acks = Vec::new();
                let mut primary = None;
                let commit = verdict.accept_code();
                if accept.wants(commit) {
                    // The accept acknowledgement reports only what stops the commit.
                    let errs: &[AckError] = if commit.is_accept() { &[] } else { errors };
                    acks.push(build_ack(msg, commit, errs, &next_control_id(), opts));
                    primary = Some(commit);
                }
                let app = verdict.application_code();
                if application.wants(app) {
                    acks.push(build_ack(msg, app, errors, &next_control_id(), opts));
                    primary = Some(app);
                }
                Outcome {
                    verdict,
                    acks,
                    code: primary,
                }
            }
        }
    }

    async fn unparseable(
        &self,
        payload: &[u8],
        e: &crate::er7::ParseError,
        peer: &str,
        received_at: SystemTime,
    ) -> Outcome {
        let error = AckError {
            location: e
                .segment()
                .map(|(id, n)| match e.field() {
                    Some(f) => format!("{id}[{n}]-{f}"),
                    None => format!("{id}[{n}]"),
                })
                .unwrap_or_default(),
            code: 100,
            severity: ErrSeverity::Error,
            message: format!("the message could not be parsed: {}", e.reason()),
        };
        warn!(%peer, error = %e, "unparseable message");
        // Answer in the sender's terms when at least MSH reads.
        let end = payload
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .unwrap_or(payload.len());
        let code = AckCode::ApplicationError;
        let ack = match Message::parse(&payload[..end]) {
            Ok(msh) => build_ack(
                &msh,
                code,
                std::slice::from_ref(&error),
                &next_control_id(),
                &self.config.ack,
            ),
            Err(_) => build_bare_ack(code, &error, &next_control_id()),
        };
        let outcome = Outcome {
            verdict: Verdict::Error,
            acks: vec![ack],
            code: Some(code),
        };
        self.store_raw(payload, None, outcome, vec![error], peer, received_at)
            .await
    }

    async fn find_duplicate(&self, header: &Header) -> Option<i64> {
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            let store = Arc::clone(store);
            let (app, fac, id) = (
                header.sending_app.clone(),
                header.sending_facility.clone(),
                header.control_id.clone(),
            );
            let found =
                tokio::task::spawn_blocking(move || store.find_duplicate(&app, &fac, &id)).await;
            return match found {
                Ok(Ok(d)) => d,
                Ok(Err(e)) => {
                    warn!(error = %e, "duplicate check failed");
                    None
                }
                Err(_) => None,
            };
        }
        let _ = header;
        None
    }

    async fn store(
        &self,
        msg: &Message<'_>,
        header: &Header,
        outcome: Outcome,
        errors: Vec<AckError>,
        peer: &str,
        received_at: SystemTime,
    ) -> Outcome {
        self.store_raw(
            msg.as_bytes(),
            Some((msg, header)),
            outcome,
            errors,
            peer,
            received_at,
        )
        .await
    }

    /// Stores the message with its outcome (when a store is configured),
    /// counts it, and turns a failed commit into AR / CE.
    #[allow(clippy::unused_async)] // Awaits the store's commit when built with `store`.
    async fn store_raw(
        &self,
        raw: &[u8],
        parsed: Option<(&Message<'_>, &Header)>,
        mut outcome: Outcome,
        errors: Vec<AckError>,
        peer: &str,
        received_at: SystemTime,
    ) -> Outcome {
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            use crate::store::{Record, Status};
            let h = parsed.map(|(_, h)| h.clone()).unwrap_or_default();
            let record = Record {
                received_at,
                peer: peer.to_owned(),
                control_id: h.control_id.clone(),
                sending_app: h.sending_app.clone(),
                sending_facility: h.sending_facility.clone(),
                message_type: h.written_type.clone(),
                version: h.version.clone(),
                status: match outcome.verdict {
                    Verdict::Accept => Status::Accepted,
                    Verdict::Error => Status::Error,
                    Verdict::Reject | Verdict::InternalFailure => Status::Rejected,
                },
                ack_code: outcome
                    .code
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
                findings: findings_json(&errors),
                raw: raw.to_vec(),
                ack: outcome.acks.concat(),
            };
            match store.submit(record).await {
                Ok(stored) => {
                    if let Some(original) = stored.duplicate_of {
                        info!(%peer, control_id = %h.control_id, id = stored.id, original, "duplicate control id stored");
                    }
                }
                Err(e) => {
                    ServerStats::add(&self.stats.store_failures, 1);
                    warn!(%peer, control_id = %h.control_id, error = %e, "message not stored; rejecting");
                    let error = AckError {
                        location: String::new(),
                        code: 207,
                        severity: ErrSeverity::Error,
                        message: "the message could not be stored; send it again later".into(),
                    };
                    let failed = Outcome {
                        verdict: Verdict::InternalFailure,
                        acks: Vec::new(),
                        code: None,
                    };
                    outcome = match parsed {
                        Some((msg, _)) => {
                            let mut o = self.acks(msg, Verdict::InternalFailure, &[error]);
                            if o.acks.is_empty() {
                                // Whatever the sender asked for, it must learn of this.
                                let code = AckCode::ApplicationReject;
                                o.acks.push(build_ack(
                                    msg,
                                    code,
                                    &[],
                                    &next_control_id(),
                                    &self.config.ack,
                                ));
                                o.code = Some(code);
                            }
                            o
                        }
                        None => Outcome {
                            acks: vec![build_bare_ack(
                                AckCode::ApplicationReject,
                                &error,
                                &next_control_id(),
                            )],
                            code: Some(AckCode::ApplicationReject),
                            ..failed
                        },
                    };
                }
            }
        }
        #[cfg(not(feature = "store"))]
        let _ = (raw, &errors, received_at);
        let counter = match outcome.verdict {
            Verdict::Accept => &self.stats.accepted,
            Verdict::Error => &self.stats.errors,
            Verdict::Reject | Verdict::InternalFailure => &self.stats.rejected,
        };
        ServerStats::add(counter, 1);
        if let Some((_, h)) = parsed {
            debug!(%peer, control_id = %h.control_id, message_type = %h.full_type(), code = ?outcome.code, "message handled");
        }
        outcome
    }
}

/// The MSH values the listener records.
#[derive(Clone, Debug, Default)]
struct Header {
    control_id: String,
    sending_app: String,
    sending_facility: String,
    /// MSH-9 as written.
    written_type: String,
    message_type: String,
    event: String,
    version: String,
    processing_id: String,
}

impl Header {
    fn of(msg: &Message<'_>) -> Header {
        let msh = msg.segment(0);
        let field = |n: usize| msh.and_then(|s| s.field(n));
        let text = |n: usize| field(n).map(|v| v.text().into_owned()).unwrap_or_default();
        let comp = |n: usize, c: usize| {
            field(n)
                .and_then(|v| v.component(c))
                .map(|v| v.text().into_owned())
                .unwrap_or_default()
        };
        let raw = |n: usize| {
            field(n)
                .map(|v| String::from_utf8_lossy(v.raw()).into_owned())
                .unwrap_or_default()
        };
        Header {
            control_id: text(10),
            sending_app: raw(3),
            sending_facility: raw(4),
            written_type: raw(9),
            message_type: comp(9, 1),
            event: comp(9, 2),
            version: comp(12, 1),
            processing_id: comp(11, 1),
        }
    }

    fn full_type(&self) -> String {
        if self.event.is_empty() {
            self.message_type.clone()
        } else {
            format!("{}^{}", self.message_type, self.event)
        }
    }
}

/// Findings as a JSON array of {severity, code, location, message}.
fn findings_json(errors: &[AckError]) -> String {
    let mut s = String::from("[");
    for (i, e) in errors.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"severity\":");
        json_str(
            &mut s,
            match e.severity {
                ErrSeverity::Error => "error",
                ErrSeverity::Warning => "warning",
                ErrSeverity::Information => "info",
            },
        );
        s.push_str(",\"code\":");
        s.push_str(&e.code.to_string());
        s.push_str(",\"location\":");
        json_str(&mut s, &e.location);
        s.push_str(",\"message\":");
        json_str(&mut s, &e.message);
        s.push('}');
    }
    s.push(']');
    s
}

fn json_str(s: &mut String, v: &str) {
    use std::fmt::Write as _;
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_pick_the_most_specific() {
        let a = |_: &Message<'_>, _: &Context<'_>| Ok(());
        let b = |_: &Message<'_>, _: &Context<'_>| Err(HandlerError::content("b"));
        let r = Router::new().route("ADT", a).route("ADT^A01", b);
        let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5\r").unwrap();
        let ctx = Context {
            peer: "x",
            duplicate_of: None,
        };
        assert!(r.find("ADT", "A01").unwrap().handle(&msg, &ctx).is_err());
        assert!(r.find("ADT", "A04").unwrap().handle(&msg, &ctx).is_ok());
        assert_eq!(r.find("ORU", "R01").err(), Some(200));
        let r = Router::new().route("ADT^A01", a);
        assert_eq!(r.find("ADT", "A04").err(), Some(201));
        assert!(Router::new().is_empty());
    }

    #[test]
    fn findings_are_json() {
        let s = findings_json(&[AckError {
            location: "PID[1]-7".into(),
            code: 102,
            severity: ErrSeverity::Warning,
            message: "bad \"date\"".into(),
        }]);
        assert_eq!(
            s,
            r#"[{"severity":"warning","code":102,"location":"PID[1]-7","message":"bad \"date\""}]"#
        );
    }

    #[tokio::test]
    async fn process_answers_by_mode() {
        let server = Server::new(ServerConfig {
            processing_ids: vec!["P".into()],
            ..ServerConfig::default()
        })
        .with_router(
            Router::new().route("ADT", |m: &Message<'_>, _: &Context<'_>| {
                if m.segments_named("PID").next().is_some() {
                    Ok(())
                } else {
                    Err(HandlerError::content("no PID").at("PID"))
                }
            }),
        );
        let read = |acks: &[Vec<u8>]| -> Vec<String> {
            acks.iter()
                .map(|a| {
                    let (c, id) = super::super::ack::read_ack(a).unwrap();
                    format!("{c}:{id}")
                })
                .collect()
        };
        let ok = b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|M1|P|2.5\rPID|1\r";
        assert_eq!(read(&server.process(ok, "t").await), ["AA:M1"]);
        let no_pid = b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|M2|P|2.5\rEVN|1\r";
        assert_eq!(read(&server.process(no_pid, "t").await), ["AE:M2"]);
        let test_id = b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|M3|T|2.5\rPID|1\r";
        assert_eq!(read(&server.process(test_id, "t").await), ["AR:M3"]);
        let oru = b"MSH|^~\\&|A|B|C|D|2026||ORU^R01|M4|P|2.5\r";
        let acks = server.process(oru, "t").await;
        assert_eq!(read(&acks), ["AR:M4"]);
        assert!(
            String::from_utf8_lossy(&acks[0]).contains("|200^Unsupported message type^HL70357|")
        );
        let enhanced = b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|M5|P|2.5|||AL|ER\rPID|1\r";
        assert_eq!(read(&server.process(enhanced, "t").await), ["CA:M5"]);
        let enhanced = b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|M6|P|2.5|||AL|AL\rEVN|1\r";
        assert_eq!(
            read(&server.process(enhanced, "t").await),
            ["CA:M6", "AE:M6"]
        );
        let never = b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|M7|P|2.5|||NE|NE\rPID|1\r";
        assert!(server.process(never, "t").await.is_empty());
        let ack = b"MSH|^~\\&|A|B|C|D|2026||ACK^A01^ACK|M8|P|2.5\rMSA|AA|X\r";
        assert!(server.process(ack, "t").await.is_empty());
        let garbage = b"MSH|^~\\&|A|B|C|D|2026||ADT^A01|M9|P|2.5\rP\r";
        assert_eq!(read(&server.process(garbage, "t").await), ["AE:M9"]);
        assert_eq!(read(&server.process(b"hello", "t").await), ["AE:"]);
        let stats = server.stats();
        assert_eq!(ServerStats::get(&stats.messages), 10);
        assert_eq!(ServerStats::get(&stats.rejected), 2);
    }
}
