//! `hl7 serve` with TLS and client certificates, `hl7 send --tls`, on 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// Writes a leaf certificate and key signed by `ca` as `<stem>.pem` and `<stem>.key`.
fn leaf(ca: &Ca, names: &[&str], dir: &Path, stem: &str) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    std::fs::write(dir.join(format!("{stem}.pem")), cert.pem()).unwrap();
    std::fs::write(dir.join(format!("{stem}.key")), key.serialize_pem()).unwrap();
}

/// A running `hl7 serve`, killed when dropped (also when a test fails).
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Starts `hl7 serve` with `args` on a free port; returns it and its port.
fn serve(args: &[&str]) -> (Serving, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hl7"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on 127.0.0.1:").nth(1) {
                let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let _ = tx.send(port);
            }
        }
    });
    if let Ok(port) = rx.recv_timeout(Duration::from_secs(20)) {
        (Serving(child), port.parse().unwrap())
    } else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("hl7 serve did not say where it listens");
    }
}

fn stop(mut serving: Serving) {
    let child = &mut serving.0;
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hl7 serve did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_and_send_over_mutual_tls() {
    let dir = std::env::temp_dir().join(format!("hl7-cli-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let server_ca = ca("server CA");
    let client_ca = ca("client CA");
    let rogue_ca = ca("rogue CA");
    std::fs::write(dir.join("server-ca.pem"), &server_ca.pem).unwrap();
    std::fs::write(dir.join("client-ca.pem"), &client_ca.pem).unwrap();
    leaf(&server_ca, &["localhost"], &dir, "server");
    leaf(&client_ca, &["lab"], &dir, "client");
    leaf(&rogue_ca, &["rogue"], &dir, "rogue");
    let msg = dir.join("adt.hl7");
    std::fs::write(
        &msg,
        "MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101||ADT^A01^ADT_A01|TLS-1|P|2.5.1\nPID|1||42^^^H^MR||DOE^JANE\n",
    )
    .unwrap();
    let p = |name: &str| dir.join(name).display().to_string();
    let (child, port) = serve(&[
        "--no-store",
        "--tls-cert",
        &p("server.pem"),
        "--tls-key",
        &p("server.key"),
        "--tls-client-ca",
        &p("client-ca.pem"),
    ]);
    let to = format!("localhost:{port}");
    let send = |extra: &[String]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hl7"))
            .args([
                "send",
                "--to",
                &to,
                "--timeout",
                "5",
                "--retries",
                "0",
                "--tls",
                "--ca",
            ])
            .arg(p("server-ca.pem"))
            .args(extra)
            .arg(&msg)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = send(&[
        "--cert".into(),
        p("client.pem"),
        "--key".into(),
        p("client.key"),
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.trim_end().ends_with("#1 TLS-1 AA"), "{out}");
    // A certificate from a CA the listener does not trust: refused.
    let (code, out) = send(&[
        "--cert".into(),
        p("rogue.pem"),
        "--key".into(),
        p("rogue.key"),
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("TLS-1 error:"), "{out}");
    // No certificate at all: refused.
    let (code, out) = send(&[]);
    assert_eq!(code, Some(1), "{out}");
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
}
