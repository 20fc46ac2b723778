//! MLLP over TLS on 127.0.0.1, with certificates made here by rcgen.
#![cfg(feature = "mllp")]

use std::net::SocketAddr;
use std::time::Duration;

use hl7_runtime::mllp::ack::AckCode;
use hl7_runtime::mllp::{
    Client, ClientConfig, ClientTls, RetryPolicy, Server, ServerConfig, ServerStats, ServerTls,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const LIMIT: Duration = Duration::from_secs(20);

/// A CA: its certificate (PEM) and an issuer to sign with.
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

/// A leaf certificate for `names`, signed by `ca`: (cert PEM, key PEM).
fn leaf(ca: &Ca, names: &[&str]) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn msg(id: &str) -> Vec<u8> {
    format!("MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101120000||ADT^A01^ADT_A01|{id}|P|2.5.1\rEVN|A01|20260101\rPID|1||{id}^^^HOSP^MR||DOE^JANE\r").into_bytes()
}

async fn start(server: Server) -> (SocketAddr, std::sync::Arc<ServerStats>, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = server.stats();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(server.serve(listener, async move {
        let _ = rx.await;
    }));
    (addr, stats, tx)
}

fn client(addr: SocketAddr, tls: Option<ClientTls>) -> Client {
    // "localhost" so the server name matches the certificate.
    Client::new(
        format!("localhost:{}", addr.port()),
        ClientConfig {
            tls,
            ack_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::none(),
            ..ClientConfig::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_handshake_then_ack() {
    tokio::time::timeout(LIMIT, async {
        let root = ca("test CA");
        let (cert, key) = leaf(&root, &["localhost"]);
        let tls = ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
        let (addr, stats, stop) = start(Server::new(ServerConfig::default()).with_tls(tls)).await;
        let trust = ClientTls::from_ca_pem(root.pem.as_bytes()).unwrap();
        let mut c = client(addr, Some(trust));
        let d = c.send(&msg("TLS1")).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationAccept));
        // A client that does not trust the server's CA fails the handshake.
        let other = ca("other CA");
        let mut c = client(
            addr,
            Some(ClientTls::from_ca_pem(other.pem.as_bytes()).unwrap()),
        );
        let e = c.send(&msg("TLS2")).await.unwrap_err();
        assert!(e.to_string().contains("TLS handshake"), "{e}");
        // Plaintext on a TLS-only listener gets no answer.
        let mut c = client(addr, None);
        assert!(c.send(&msg("PLAIN")).await.is_err());
        assert_eq!(ServerStats::get(&stats.messages), 1);
        let _ = stop.send(());
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_refuses_untrusted_clients() {
    tokio::time::timeout(LIMIT, async {
        let root = ca("server CA");
        let clients = ca("client CA");
        let rogue = ca("rogue CA");
        let (cert, key) = leaf(&root, &["localhost"]);
        let tls = ServerTls::from_pem(cert.as_bytes(), key.as_bytes())
            .unwrap()
            .with_client_ca(clients.pem.as_bytes())
            .unwrap();
        assert!(tls.verifies_clients());
        let (addr, stats, stop) = start(Server::new(ServerConfig::default()).with_tls(tls)).await;
        let trust = || ClientTls::from_ca_pem(root.pem.as_bytes()).unwrap();

        // No client certificate.
        let mut c = client(addr, Some(trust()));
        assert!(c.send(&msg("NOCERT")).await.is_err());
        // A certificate from a CA the server does not trust.
        let (rc, rk) = leaf(&rogue, &["rogue"]);
        let rogue_tls = trust()
            .with_client_cert(rc.as_bytes(), rk.as_bytes())
            .unwrap();
        let mut c = client(addr, Some(rogue_tls));
        assert!(c.send(&msg("ROGUE")).await.is_err());
        assert_eq!(ServerStats::get(&stats.messages), 0);
        assert!(ServerStats::get(&stats.refused) >= 2);

        // A trusted client certificate.
        let (cc, ck) = leaf(&clients, &["lab-sender"]);
        let good = trust()
            .with_client_cert(cc.as_bytes(), ck.as_bytes())
            .unwrap();
        let mut c = client(addr, Some(good));
        let d = c.send(&msg("GOOD")).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationAccept));
        assert_eq!(ServerStats::get(&stats.messages), 1);
        let _ = stop.send(());
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_alongside_tls_when_allowed() {
    tokio::time::timeout(LIMIT, async {
        let root = ca("test CA");
        let (cert, key) = leaf(&root, &["localhost"]);
        let tls = ServerTls::from_pem(cert.as_bytes(), key.as_bytes())
            .unwrap()
            .allow_plaintext(true);
        let (addr, stats, stop) = start(Server::new(ServerConfig::default()).with_tls(tls)).await;
        let mut plain = client(addr, None);
        assert!(plain.send(&msg("P1")).await.unwrap().is_accepted());
        let mut secure = client(
            addr,
            Some(ClientTls::from_ca_pem(root.pem.as_bytes()).unwrap()),
        );
        assert!(secure.send(&msg("S1")).await.unwrap().is_accepted());
        assert_eq!(ServerStats::get(&stats.messages), 2);
        let _ = stop.send(());
    })
    .await
    .expect("test took too long");
}

#[test]
fn bad_pem_is_a_clear_error() {
    let e = ServerTls::from_pem(b"not pem", b"nor this").unwrap_err();
    assert!(e.to_string().contains("server certificate"), "{e}");
    let root = ca("x");
    let (cert, _) = leaf(&root, &["localhost"]);
    let e = ServerTls::from_pem(cert.as_bytes(), b"").unwrap_err();
    assert!(e.to_string().contains("server key"), "{e}");
    assert!(ClientTls::from_ca_pem(b"").is_err());
}
