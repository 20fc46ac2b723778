//! The MLLP listener and sender over real sockets on 127.0.0.1.
#![cfg(feature = "mllp")]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hl7_runtime::er7::Message;
use hl7_runtime::mllp::ack::{AckCode, read_ack};
use hl7_runtime::mllp::{
    Client, ClientConfig, Context, HandlerError, RetryPolicy, Router, Server, ServerConfig,
    ServerStats, frame,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every test ends within this.
const LIMIT: Duration = Duration::from_secs(20);

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test took too long")
}

fn msg(id: &str) -> Vec<u8> {
    format!("MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101120000||ADT^A01^ADT_A01|{id}|P|2.5.1\rEVN|A01|20260101\rPID|1||{id}^^^HOSP^MR||DOE^JANE\r").into_bytes()
}

struct Running {
    addr: SocketAddr,
    stats: Arc<ServerStats>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        bounded(self.task).await.unwrap().unwrap();
    }
}

async fn start(server: Server) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = server.stats();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(listener, async move {
        let _ = rx.await;
    }));
    Running {
        addr,
        stats,
        stop: Some(tx),
        task,
    }
}

/// Reads frames until `n` came or the peer closed; returns the payloads.
async fn read_frames(s: &mut TcpStream, n: usize) -> Vec<Vec<u8>> {
    use tokio_util::codec::Decoder;
    let mut codec = hl7_runtime::mllp::MllpCodec::new();
    let mut buf = bytes::BytesMut::new();
    let mut out = Vec::new();
    while out.len() < n {
        while let Some(f) = codec.decode(&mut buf).unwrap() {
            out.push(f.to_vec());
        }
        if out.len() >= n {
            break;
        }
        match s.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

fn acked(frames: &[Vec<u8>]) -> Vec<(AckCode, String)> {
    frames.iter().map(|f| read_ack(f).unwrap()).collect()
}

/// Waits (bounded) until `f` holds.
async fn eventually(mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in 2 s");
}

/// Reads until the peer closes; true when it did (no frame came back).
async fn closed_without_answer(s: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await {
        Ok(Ok(_)) => rest.is_empty(),
        Ok(Err(_)) => true,
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_frames_in_one_read_each_get_an_ack_in_order() {
    bounded(async {
        let server = start(Server::new(ServerConfig::default())).await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let mut wire = Vec::new();
        for i in 0..20 {
            wire.extend_from_slice(&frame(&msg(&format!("M{i}"))).unwrap());
        }
        s.write_all(&wire).await.unwrap();
        let acks = acked(&read_frames(&mut s, 20).await);
        let expected: Vec<(AckCode, String)> = (0..20)
            .map(|i| (AckCode::ApplicationAccept, format!("M{i}")))
            .collect();
        assert_eq!(acks, expected);
        assert_eq!(ServerStats::get(&server.stats.messages), 20);
        drop(s);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_split_byte_by_byte() {
    bounded(async {
        let server = start(Server::new(ServerConfig::default())).await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        let wire = frame(&msg("SPLIT")).unwrap();
        for b in &wire {
            s.write_all(&[*b]).await.unwrap();
            s.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let acks = acked(&read_frames(&mut s, 1).await);
        assert_eq!(acks, [(AckCode::ApplicationAccept, "SPLIT".to_owned())]);
        drop(s);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_before_the_start_block_is_discarded_and_counted() {
    bounded(async {
        let server = start(Server::new(ServerConfig::default())).await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let mut wire = b"\0\0junk\r\n".to_vec();
        wire.extend_from_slice(&frame(&msg("J1")).unwrap());
        wire.extend_from_slice(b"\r\n\0");
        wire.extend_from_slice(&frame(&msg("J2")).unwrap());
        s.write_all(&wire).await.unwrap();
        let acks = acked(&read_frames(&mut s, 2).await);
        assert_eq!(acks[0], (AckCode::ApplicationAccept, "J1".to_owned()));
        assert_eq!(acks[1], (AckCode::ApplicationAccept, "J2".to_owned()));
        let stats = Arc::clone(&server.stats);
        eventually(|| ServerStats::get(&stats.discarded_bytes) == 11).await;
        drop(s);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_frame_closes_the_connection_and_the_listener_goes_on() {
    bounded(async {
        let server = start(Server::new(ServerConfig {
            max_frame_length: 1024,
            ..ServerConfig::default()
        }))
        .await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let mut big = msg("BIG");
        big.extend(std::iter::repeat_n(b'X', 4000));
        // The listener may close while we still write: that is the point.
        let _ = s.write_all(&frame(&big).unwrap()).await;
        assert!(closed_without_answer(&mut s).await);
        assert_eq!(ServerStats::get(&server.stats.framing_errors), 1);
        assert_eq!(ServerStats::get(&server.stats.messages), 0);
        // The next connection is served.
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&frame(&msg("SMALL")).unwrap()).await.unwrap();
        let acks = acked(&read_frames(&mut s, 1).await);
        assert_eq!(acks, [(AckCode::ApplicationAccept, "SMALL".to_owned())]);
        drop(s);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sender_times_out_and_its_partial_frame_is_dropped() {
    bounded(async {
        let server = start(Server::new(ServerConfig {
            read_timeout: Duration::from_millis(300),
            ..ServerConfig::default()
        }))
        .await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let wire = frame(&msg("SLOW")).unwrap();
        s.write_all(&wire[..30]).await.unwrap();
        let started = std::time::Instant::now();
        assert!(closed_without_answer(&mut s).await);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
        assert!(waited < Duration::from_secs(4), "{waited:?}");
        assert_eq!(ServerStats::get(&server.stats.frame_timeouts), 1);
        assert_eq!(ServerStats::get(&server.stats.messages), 0);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed() {
    bounded(async {
        let server = start(Server::new(ServerConfig {
            idle_timeout: Duration::from_millis(200),
            ..ServerConfig::default()
        }))
        .await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&frame(&msg("I1")).unwrap()).await.unwrap();
        assert_eq!(read_frames(&mut s, 1).await.len(), 1);
        assert!(closed_without_answer(&mut s).await);
        assert_eq!(ServerStats::get(&server.stats.frame_timeouts), 0);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_disconnects_mid_frame() {
    bounded(async {
        let server = start(Server::new(ServerConfig::default())).await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let wire = frame(&msg("GONE")).unwrap();
        s.write_all(&wire[..wire.len() / 2]).await.unwrap();
        drop(s);
        let stats = Arc::clone(&server.stats);
        let half = (wire.len() / 2 - 1) as u64;
        eventually(|| ServerStats::get(&stats.discarded_bytes) == half).await;
        assert_eq!(ServerStats::get(&server.stats.messages), 0);
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&frame(&msg("BACK")).unwrap()).await.unwrap();
        let acks = acked(&read_frames(&mut s, 1).await);
        assert_eq!(acks, [(AckCode::ApplicationAccept, "BACK".to_owned())]);
        drop(s);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_refused() {
    bounded(async {
        let server = start(Server::new(ServerConfig {
            max_connections: 1,
            ..ServerConfig::default()
        }))
        .await;
        let mut first = TcpStream::connect(server.addr).await.unwrap();
        first.write_all(&frame(&msg("F1")).unwrap()).await.unwrap();
        assert_eq!(read_frames(&mut first, 1).await.len(), 1);
        let mut second = TcpStream::connect(server.addr).await.unwrap();
        let _ = second.write_all(&frame(&msg("F2")).unwrap()).await;
        assert!(closed_without_answer(&mut second).await);
        assert_eq!(ServerStats::get(&server.stats.refused), 1);
        drop(first);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_gets_aa_and_ae_is_final() {
    bounded(async {
        let router = Router::new().route("ADT", |m: &Message<'_>, _: &Context<'_>| {
            match m.get(&"PID-5.1".parse().unwrap()) {
                Some(v) if v.text() == "DOE" => Ok(()),
                _ => Err(HandlerError::content("unknown family name").at("PID[1]-5.1")),
            }
        });
        let server = start(Server::new(ServerConfig::default()).with_router(router)).await;
        let mut client = Client::new(server.addr.to_string(), ClientConfig::default());
        let d = client.send(&msg("C1")).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationAccept));
        assert!(d.is_accepted());
        assert_eq!(d.attempts, 1);
        let bad = String::from_utf8(msg("C2")).unwrap().replace("DOE", "ROE");
        let d = client.send(bad.as_bytes()).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationError));
        assert_eq!(d.attempts, 1);
        let ack = String::from_utf8(d.ack).unwrap();
        assert!(ack.contains("ERR||PID^1^5^1^1|"), "{ack}");
        assert!(ack.contains("unknown family name"), "{ack}");
        // Another type is not routed: AR, retried by the default policy.
        let oru = String::from_utf8(msg("C3"))
            .unwrap()
            .replace("ADT^A01^ADT_A01", "ORU^R01^ORU_R01");
        let mut client = Client::new(
            server.addr.to_string(),
            ClientConfig {
                retry: RetryPolicy {
                    initial_backoff: Duration::from_millis(10),
                    ..RetryPolicy::default()
                },
                ..ClientConfig::default()
            },
        );
        let d = client.send(oru.as_bytes()).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationReject));
        assert_eq!(d.attempts, 3);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_retries_ar_until_accepted() {
    bounded(async {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let router = Router::new().fallback(move |_: &Message<'_>, _: &Context<'_>| {
            if seen.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(HandlerError::internal("database busy"))
            } else {
                Ok(())
            }
        });
        let server = start(Server::new(ServerConfig::default()).with_router(router)).await;
        let config = ClientConfig {
            retry: RetryPolicy {
                max_attempts: 5,
                initial_backoff: Duration::from_millis(10),
                ..RetryPolicy::default()
            },
            ..ClientConfig::default()
        };
        let mut client = Client::new(server.addr.to_string(), config);
        let d = client.send(&msg("R1")).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationAccept));
        assert_eq!(d.attempts, 3);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_reconnects_after_the_listener_drops_it() {
    bounded(async {
        let server = start(Server::new(ServerConfig {
            idle_timeout: Duration::from_millis(100),
            ..ServerConfig::default()
        }))
        .await;
        let config = ClientConfig {
            retry: RetryPolicy {
                initial_backoff: Duration::from_millis(10),
                ..RetryPolicy::default()
            },
            ..ClientConfig::default()
        };
        let mut client = Client::new(server.addr.to_string(), config);
        assert!(client.send(&msg("D1")).await.unwrap().is_accepted());
        tokio::time::sleep(Duration::from_millis(400)).await; // the listener closes the idle connection
        let d = client.send(&msg("D2")).await.unwrap();
        assert!(d.is_accepted());
        assert_eq!(ServerStats::get(&server.stats.connections), 2);
        server.stop().await;
    })
    .await;
}

/// A peer that answers with a stale ACK first, then never again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_skips_acks_of_other_messages_and_times_out() {
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let got = read_frames(&mut s, 1).await;
            assert_eq!(got.len(), 1);
            let stale = b"MSH|^~\\&|EHR||LAB||2026||ACK^A01^ACK|X|P|2.5.1\rMSA|AA|OLD\r";
            let right = b"MSH|^~\\&|EHR||LAB||2026||ACK^A01^ACK|Y|P|2.5.1\rMSA|CA|T1\r";
            s.write_all(&frame(stale).unwrap()).await.unwrap();
            s.write_all(&frame(right).unwrap()).await.unwrap();
            // Second message: never answered.
            let got = read_frames(&mut s, 1).await;
            assert_eq!(got.len(), 1);
            tokio::time::sleep(Duration::from_secs(2)).await;
        });
        let config = ClientConfig {
            ack_timeout: Duration::from_millis(300),
            retry: RetryPolicy::none(),
            ..ClientConfig::default()
        };
        let mut client = Client::new(addr.to_string(), config);
        let d = client.send(&msg("T1")).await.unwrap();
        assert_eq!(d.code, Some(AckCode::CommitAccept));
        let e = client.send(&msg("T2")).await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        assert_eq!(e.attempts(), 1);
        peer.await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mllp_release_2_commit_blocks() {
    bounded(async {
        let server = start(Server::new(ServerConfig {
            mllp2: true,
            ..ServerConfig::default()
        }))
        .await;
        // Raw: the commit block comes first, then the HL7 ACK.
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&frame(&msg("R2A")).unwrap()).await.unwrap();
        let frames = read_frames(&mut s, 2).await;
        assert_eq!(frames[0], [0x06]);
        assert_eq!(read_ack(&frames[1]).unwrap().1, "R2A");
        // Our commit block for the ACK is not taken for a message.
        s.write_all(&hl7_runtime::mllp::COMMIT_ACK_FRAME)
            .await
            .unwrap();
        drop(s);
        let mut client = Client::new(
            server.addr.to_string(),
            ClientConfig {
                mllp2: true,
                ..ClientConfig::default()
            },
        );
        let d = client.send(&msg("R2B")).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationAccept));
        let d = client.send(&msg("R2C")).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationAccept));
        assert_eq!(ServerStats::get(&server.stats.messages), 3);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_message_in_flight() {
    bounded(async {
        let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
        let entered_tx = std::sync::Mutex::new(entered_tx);
        let router = Router::new().fallback(move |_: &Message<'_>, _: &Context<'_>| {
            let _ = entered_tx.lock().unwrap().send(());
            std::thread::sleep(Duration::from_millis(300));
            Ok(())
        });
        let server = start(Server::new(ServerConfig::default()).with_router(router)).await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&frame(&msg("LAST")).unwrap()).await.unwrap();
        tokio::task::spawn_blocking(move || entered_rx.recv_timeout(Duration::from_secs(5)))
            .await
            .unwrap()
            .unwrap();
        let stopping = tokio::spawn(server.stop());
        let acks = acked(&read_frames(&mut s, 1).await);
        assert_eq!(acks, [(AckCode::ApplicationAccept, "LAST".to_owned())]);
        // Then the listener closes the connection and returns.
        assert!(closed_without_answer(&mut s).await);
        bounded(stopping).await.unwrap();
    })
    .await;
}

#[cfg(feature = "validate")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_findings_become_err_segments() {
    use hl7_runtime::validate::{Catalog, Options};
    bounded(async {
        let (catalog, _) = Catalog::open("2.5.1", Options::default()).unwrap();
        let server = start(Server::new(ServerConfig::default()).with_catalog(catalog)).await;
        let mut client = Client::new(server.addr.to_string(), ClientConfig::default());
        // PV1 is required in ADT^A01 and PID-7 is not a date.
        let bad = b"MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101||ADT^A01^ADT_A01|V1|P|2.5.1\rEVN||20260101\rPID|1||42^^^H^MR||DOE^J||2026013x\r";
        let d = client.send(bad).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationError));
        let ack = String::from_utf8(d.ack).unwrap();
        assert!(ack.contains("|102^Data type error^HL70357|E|"), "{ack}");
        assert!(ack.contains("ERR||PID^1^7^1^1|"), "{ack}");
        assert!(ack.contains("|100^Segment sequence error^HL70357|E|"), "{ack}");
        // An event the version does not define: AR with 201.
        let unknown = b"MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101||ADT^Z99|V2|P|2.5.1\rEVN||20260101\r";
        let mut client = Client::new(
            server.addr.to_string(),
            ClientConfig {
                retry: RetryPolicy::none(),
                ..ClientConfig::default()
            },
        );
        let d = client.send(unknown).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationReject));
        assert!(String::from_utf8(d.ack).unwrap().contains("|201^"));
        server.stop().await;
    })
    .await;
}

#[cfg(feature = "store")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acked_message_is_in_the_store_and_duplicates_are_marked() {
    use hl7_runtime::store::{Filter, Options, SqliteStore, Status, Store};
    bounded(async {
        let dir = std::env::temp_dir().join(format!("hl7-mllp-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("listener.sqlite");
        let _ = std::fs::remove_file(&path);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, Options::default()).unwrap());
        let server =
            start(Server::new(ServerConfig::default()).with_store(Arc::clone(&store))).await;
        let mut tasks = Vec::new();
        for c in 0..4 {
            let addr = server.addr.to_string();
            tasks.push(tokio::spawn(async move {
                let mut client = Client::new(addr, ClientConfig::default());
                for i in 0..25 {
                    let d = client.send(&msg(&format!("S{c}-{i}"))).await.unwrap();
                    assert_eq!(d.code, Some(AckCode::ApplicationAccept));
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut client = Client::new(server.addr.to_string(), ClientConfig::default());
        assert!(client.send(&msg("S0-0")).await.unwrap().is_accepted());
        server.stop().await;
        let all = store.list(&Filter::new().limit(1000)).unwrap();
        assert_eq!(all.len(), 101);
        let ids: std::collections::HashSet<&str> =
            all.iter().map(|s| s.control_id.as_str()).collect();
        for c in 0..4 {
            for i in 0..25 {
                assert!(ids.contains(format!("S{c}-{i}").as_str()));
            }
        }
        let twice = store
            .list(&Filter::new().control_id("S0-0").status(Status::Accepted))
            .unwrap();
        assert_eq!(twice.len(), 2);
        let second = store
            .get(twice.iter().map(|s| s.id).max().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            second.duplicate_of,
            Some(twice.iter().map(|s| s.id).min().unwrap())
        );
        assert_eq!(second.record.ack_code, "AA");
        assert!(
            second
                .record
                .ack
                .starts_with(b"MSH|^~\\&|EHR|CLINIC|LAB|HOSP|")
        );
        assert_eq!(second.record.raw, msg("S0-0"));
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[cfg(feature = "v2_5_1")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_routes_hand_the_handler_a_typed_message() {
    use hl7_runtime::stock::v2_5_1::AdtA01;
    bounded(async {
        let router = hl7_runtime::typed_route!(
            Router::new(),
            AdtA01,
            |adt: AdtA01<'_>, _: &Context<'_>| {
                let family = adt.pid.patient_name.first().and_then(|n| n.family_name.as_ref());
                match family {
                    Some(f) if f.surname.text() == "DOE" => Ok(()),
                    _ => Err(HandlerError::content("not a DOE").at("PID[1]-5.1")),
                }
            }
        );
        let server = start(Server::new(ServerConfig::default()).with_router(router)).await;
        let mut client = Client::new(
            server.addr.to_string(),
            ClientConfig {
                retry: RetryPolicy::none(),
                ..ClientConfig::default()
            },
        );
        let with_pv1 = |id: &str, event: &str, name: &str| {
            format!("MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101||ADT^{event}^ADT_A01|{id}|P|2.5.1\rEVN|{event}|20260101\rPID|1||{id}^^^HOSP^MR||{name}^JANE\rPV1|1|I\r")
        };
        let code = |d: hl7_runtime::mllp::Delivery| d.code;
        // A01 and A04 share the ADT_A01 structure: both routed.
        let d = client.send(with_pv1("T1", "A01", "DOE").as_bytes()).await.unwrap();
        assert_eq!(code(d), Some(AckCode::ApplicationAccept));
        let d = client.send(with_pv1("T2", "A04", "DOE").as_bytes()).await.unwrap();
        assert_eq!(code(d), Some(AckCode::ApplicationAccept));
        // The handler's own verdict.
        let d = client.send(with_pv1("T3", "A01", "ROE").as_bytes()).await.unwrap();
        assert_eq!(code(d), Some(AckCode::ApplicationError));
        // Not readable as ADT_A01 (no PID): AE with the reason, handler not called.
        let no_pid = "MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20260101||ADT^A01^ADT_A01|T4|P|2.5.1\rEVN|A01|20260101\rPV1|1|I\r";
        let d = client.send(no_pid.as_bytes()).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationError));
        assert!(String::from_utf8_lossy(&d.ack).contains("PID"), "{}", String::from_utf8_lossy(&d.ack));
        // An event of another structure is not routed: AR 201.
        let d = client.send(with_pv1("T5", "A02", "DOE").as_bytes()).await.unwrap();
        assert_eq!(d.code, Some(AckCode::ApplicationReject));
        server.stop().await;
    })
    .await;
}

/// A store that cannot commit (opened read-only): the message is not
/// acknowledged as accepted, and under MLLP release 2 the commit block is a NAK.
#[cfg(feature = "store")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_commit_gets_nak_and_ar() {
    use hl7_runtime::store::{Options, SqliteStore, Store};
    bounded(async {
        let dir = std::env::temp_dir().join(format!("hl7-mllp-ro-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ro.sqlite");
        let _ = std::fs::remove_file(&path);
        SqliteStore::open(&path, Options::default())
            .unwrap()
            .close()
            .unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_read_only(&path).unwrap());
        let server = start(
            Server::new(ServerConfig {
                mllp2: true,
                ..ServerConfig::default()
            })
            .with_store(store),
        )
        .await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(&frame(&msg("RO1")).unwrap()).await.unwrap();
        let frames = read_frames(&mut s, 2).await;
        assert_eq!(frames[0], [0x15], "a NAK commit block");
        assert_eq!(
            read_ack(&frames[1]).unwrap(),
            (AckCode::ApplicationReject, "RO1".to_owned())
        );
        assert!(
            String::from_utf8_lossy(&frames[1])
                .contains("|207^Application internal error^HL70357|")
        );
        // Enhanced mode: CE, even when the sender asked only for errors.
        let enhanced = String::from_utf8(msg("RO2"))
            .unwrap()
            .replace("|P|2.5.1\r", "|P|2.5.1|||ER|NE\r");
        s.write_all(&frame(enhanced.as_bytes()).unwrap())
            .await
            .unwrap();
        let frames = read_frames(&mut s, 2).await;
        assert_eq!(frames[0], [0x15]);
        assert_eq!(
            read_ack(&frames[1]).unwrap(),
            (AckCode::CommitError, "RO2".to_owned())
        );
        assert_eq!(ServerStats::get(&server.stats.store_failures), 2);
        drop(s);
        server.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_listener_closes_on_noise_and_enhanced_mode_sends_both_acks() {
    bounded(async {
        let server = start(Server::new(ServerConfig {
            mode: hl7_runtime::mllp::Mode::Strict,
            ..ServerConfig::default()
        }))
        .await;
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let mut wire = b"noise".to_vec();
        wire.extend_from_slice(&frame(&msg("N1")).unwrap());
        let _ = s.write_all(&wire).await;
        assert!(closed_without_answer(&mut s).await);
        assert_eq!(ServerStats::get(&server.stats.framing_errors), 1);
        // MSH-15 AL and MSH-16 AL: the accept ACK, then the application ACK.
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        let both = String::from_utf8(msg("E1"))
            .unwrap()
            .replace("|P|2.5.1\r", "|P|2.5.1|||AL|AL\r");
        s.write_all(&frame(both.as_bytes()).unwrap()).await.unwrap();
        let acks = acked(&read_frames(&mut s, 2).await);
        assert_eq!(
            acks,
            [
                (AckCode::CommitAccept, "E1".to_owned()),
                (AckCode::ApplicationAccept, "E1".to_owned())
            ]
        );
        drop(s);
        server.stop().await;
    })
    .await;
}
