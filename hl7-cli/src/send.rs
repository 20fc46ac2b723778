//! `hl7 send`: send messages over MLLP and report each acknowledgement.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use hl7_runtime::er7::{Path, parse_stream};
use hl7_runtime::mllp::ack::AckCode;
use hl7_runtime::mllp::{Client, ClientConfig, ClientTls, RetryPolicy};

/// Send HL7 v2 messages over MLLP, one at a time, each waiting for its ACK.
///
/// Each FILE may hold many messages (as `hl7 parse` reads them); they are
/// sent with CR segment terminators. One line per message on standard
/// output: `FILE#N CONTROL_ID CODE`, CODE being the ACK's MSA-1 (AA, AE,
/// AR, CA, CE, CR), `-` when the message asked for no acknowledgement
/// (MSH-15/16 NE), or `error: why`.
///
/// Retries: AR and CR, timeouts and dropped connections are retried
/// `--retries` times (reconnecting as needed); AE and CE are final
/// (`--retry-on` changes which codes are retried).
///
/// Exit status: 0 when every message was accepted (AA/CA), 1 when any was
/// not (or could not be read as a message), 2 for usage, TLS or I/O errors.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The receiver, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    to: String,
    /// Use TLS (with --ca).
    #[arg(long, requires = "ca")]
    tls: bool,
    /// CA certificates (PEM) to trust for the receiver's certificate.
    #[arg(long, value_name = "FILE", requires = "tls")]
    ca: Option<PathBuf>,
    /// Client certificate chain (PEM), for receivers that require one.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Seconds to wait for each ACK (and to connect).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
    /// Retries after the first attempt.
    #[arg(long, default_value_t = 2, value_name = "N")]
    retries: u32,
    /// ACK codes to retry, comma-separated.
    #[arg(long, default_value = "AR,CR", value_name = "CODES")]
    retry_on: String,
    /// MLLP release 2 commit blocks.
    #[arg(long)]
    mllp2: bool,
    /// Files to send (`-` or none for standard input).
    files: Vec<PathBuf>,
}

fn fail(message: &str) -> ExitCode {
    eprintln!("hl7: {message}");
    ExitCode::from(2)
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let retry_codes: Result<Vec<AckCode>, String> = args
        .retry_on
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    let retry_codes = match retry_codes {
        Ok(c) => c,
        Err(e) => return fail(&format!("--retry-on: {e}")),
    };
    let tls = if args.tls {
        let Some(ca) = &args.ca else {
            return fail("--tls needs --ca FILE");
        };
        let t = ClientTls::from_ca_file(ca).and_then(|t| match (&args.cert, &args.key) {
            (Some(c), Some(k)) => t.with_client_cert_files(c, k),
            _ => Ok(t),
        });
        match t {
            Ok(t) => Some(t),
            Err(e) => return fail(&e.to_string()),
        }
    } else {
        None
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let config = ClientConfig {
        connect_timeout: timeout,
        ack_timeout: timeout,
        retry: RetryPolicy {
            max_attempts: args.retries.saturating_add(1),
            retry_codes,
            ..RetryPolicy::default()
        },
        mllp2: args.mllp2,
        tls,
        ..ClientConfig::default()
    };
    let stdin = [PathBuf::from("-")];
    let files = if args.files.is_empty() {
        &stdin[..]
    } else {
        &args.files[..]
    };
    let mut inputs = Vec::new();
    for f in files {
        let (name, read) = if f.as_os_str() == "-" {
            let mut buf = Vec::new();
            (
                "<stdin>".to_owned(),
                io::stdin().read_to_end(&mut buf).map(|_| buf),
            )
        } else {
            (f.display().to_string(), std::fs::read(f))
        };
        match read {
            Ok(b) => inputs.push((name, b)),
            Err(e) => return fail(&format!("{name}: {e}")),
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("starting the runtime: {e}")),
    };
    let mut client = Client::new(args.to.clone(), config);
    let control_id = Path::field(*b"MSH", 10);
    let mut all_accepted = true;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    runtime.block_on(async {
        for (name, bytes) in &inputs {
            for (i, item) in parse_stream(bytes).enumerate() {
                let label = format!("{name}#{}", i + 1);
                let msg = match item {
                    Ok(m) => m,
                    Err(e) => {
                        all_accepted = false;
                        let _ = writeln!(out, "{label} - error: not a message: {e}");
                        continue;
                    }
                };
                let id = msg
                    .get(&control_id)
                    .map(|v| v.text().into_owned())
                    .unwrap_or_default();
                let id_shown = if id.is_empty() { "-" } else { id.as_str() };
                let line = match client.send(&msg.to_er7()).await {
                    Ok(d) => {
                        if !d.is_accepted() {
                            all_accepted = false;
                        }
                        let code = d.code.map_or("-", AckCode::as_str);
                        if d.attempts > 1 {
                            format!("{label} {id_shown} {code} ({} attempts)", d.attempts)
                        } else {
                            format!("{label} {id_shown} {code}")
                        }
                    }
                    Err(e) => {
                        all_accepted = false;
                        format!("{label} {id_shown} error: {e}")
                    }
                };
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
        client.close().await;
    });
    if all_accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
