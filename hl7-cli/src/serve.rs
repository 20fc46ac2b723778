//! `hl7 serve`: the validating MLLP listener.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use hl7_runtime::mllp::{Mode, Server, ServerConfig, ServerStats, ServerTls};
use hl7_runtime::store::{Durability, Options as StoreOptions, SqliteStore, Store};
use hl7_runtime::validate::{Catalog, Options as ValidateOptions};

/// Receive HL7 v2 messages over MLLP: parse, validate, store durably, then
/// acknowledge each one.
///
/// Every message is parsed and, with `--profile`, validated (a profile
/// file, a directory of profiles, or a bundled HL7 version such as 2.5.1);
/// then it is committed to the store with its metadata, findings and the
/// ACK, and only then is the ACK sent. AA when all is well, AE for content
/// errors (ERR segments say where), AR for an unsupported message type,
/// event, version or processing id, or when the message could not be
/// stored. Enhanced mode (MSH-15/16) is honoured.
///
/// Logs go to standard error (`RUST_LOG=debug` for more). Ctrl-C or
/// SIGTERM stops accepting, finishes the messages in flight and closes the
/// store. `hl7 store list` shows what was received.
#[derive(clap::Args, Debug)]
#[allow(clippy::struct_excessive_bools)] // Command-line switches.
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free port; the address is logged).
    #[arg(long, default_value = "127.0.0.1:2575", value_name = "ADDR")]
    listen: String,
    /// Profile file, directory of profiles, or bundled HL7 version (2.5.1);
    /// without it messages are only parsed.
    #[arg(long, value_name = "PROFILE_OR_DIR")]
    profile: Option<String>,
    /// The message store (SQLite; created when missing).
    #[arg(long, default_value = "hl7-store.sqlite", value_name = "PATH")]
    store: PathBuf,
    /// Run without a store: messages are acknowledged without being kept.
    #[arg(long, conflicts_with = "store")]
    no_store: bool,
    /// What a commit survives: `process` (a crash or kill of this process;
    /// WAL, synchronous=NORMAL) or `full` (also a power loss; fsync per commit).
    #[arg(long, value_enum, default_value = "process")]
    durability: DurabilityArg,
    /// Server certificate chain (PEM): serve TLS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The server certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates issued by these CAs (PEM): mutual TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// With TLS, also accept plaintext MLLP on the same port.
    #[arg(long, requires = "tls_cert")]
    allow_plaintext: bool,
    /// Connections served at once.
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_connections: usize,
    /// MLLP release 2: send a commit ACK/NAK block before each HL7 ACK.
    #[arg(long)]
    mllp2: bool,
    /// Seconds a started frame may take to arrive.
    #[arg(long, default_value_t = 40, value_name = "SECONDS")]
    read_timeout: u64,
    /// Seconds a connection may stay silent between messages.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    idle_timeout: u64,
    /// Largest frame accepted, in bytes.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    max_frame: usize,
    /// Strict framing: bytes outside frames close the connection.
    #[arg(long)]
    strict: bool,
    /// Accept only these processing ids (MSH-11), e.g. `--processing-id P`
    /// (repeatable); others get AR.
    #[arg(long, value_name = "ID")]
    processing_id: Vec<String>,
}

/// `--durability`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DurabilityArg {
    /// Survives a crash of the process (WAL, synchronous=NORMAL).
    Process,
    /// Survives a power loss (fsync on every commit).
    Full,
}

/// `eprintln!` that does not panic when standard error is closed (a
/// listener must not die because whoever started it went away).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn fail(message: &str) -> ExitCode {
    say!("hl7: {message}");
    ExitCode::from(2)
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let config = ServerConfig {
        max_connections: args.max_connections.max(1),
        read_timeout: Duration::from_secs(args.read_timeout.max(1)),
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        max_frame_length: args.max_frame.max(1),
        mode: if args.strict {
            Mode::Strict
        } else {
            Mode::Tolerant
        },
        mllp2: args.mllp2,
        processing_ids: args.processing_id.clone(),
        ..ServerConfig::default()
    };
    let mut server = Server::new(config);
    if let Some(spec) = &args.profile {
        match Catalog::open(spec, ValidateOptions::default()) {
            Ok((catalog, warnings)) => {
                for w in warnings {
                    say!("hl7: warning: skipped profile {w}");
                }
                server = server.with_catalog(catalog);
            }
            Err(e) => return fail(&e.to_string()),
        }
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let tls = ServerTls::from_files(cert, key).and_then(|t| match &args.tls_client_ca {
            Some(ca) => t.with_client_ca_file(ca),
            None => Ok(t),
        });
        match tls {
            Ok(t) => server = server.with_tls(t.allow_plaintext(args.allow_plaintext)),
            Err(e) => return fail(&e.to_string()),
        }
    }
    let store = if args.no_store {
        None
    } else {
        let options = StoreOptions::default().durability(match args.durability {
            DurabilityArg::Process => Durability::Process,
            DurabilityArg::Full => Durability::Full,
        });
        match SqliteStore::open(&args.store, options) {
            Ok(s) => Some(Arc::new(s)),
            Err(e) => return fail(&e.to_string()),
        }
    };
    if let Some(s) = &store {
        server = server.with_store(Arc::clone(s) as Arc<dyn Store>);
    }
    let stats = server.stats();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("starting the runtime: {e}")),
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let local = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        say!(
            "hl7 serve: listening on {local} ({}, {}{})",
            if args.tls_cert.is_some() {
                "TLS"
            } else {
                "plaintext"
            },
            match &store {
                Some(_) => format!("store {}", args.store.display()),
                None => "no store".to_owned(),
            },
            match &args.profile {
                Some(p) => format!(", profile {p}"),
                None => String::new(),
            }
        );
        server
            .serve(listener, shutdown_signal())
            .await
            .map_err(|e| format!("listener failed: {e}"))
    });
    drop(runtime);
    let mut code = ExitCode::SUCCESS;
    if let Err(e) = result {
        say!("hl7: {e}");
        code = ExitCode::from(2);
    }
    if let Some(store) = store {
        if let Ok(s) = Arc::try_unwrap(store) {
            if let Err(e) = s.close() {
                say!("hl7: closing the store: {e}");
                code = ExitCode::from(2);
            }
        } else {
            say!("hl7: the store is still in use; its writer finishes on exit");
        }
    }
    say!(
        "hl7 serve: stopped after {} messages ({} accepted, {} errors, {} rejected) on {} connections",
        ServerStats::get(&stats.messages),
        ServerStats::get(&stats.accepted),
        ServerStats::get(&stats.errors),
        ServerStats::get(&stats.rejected),
        ServerStats::get(&stats.connections),
    );
    code
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    say!("hl7 serve: stopping (finishing messages in flight)");
}
