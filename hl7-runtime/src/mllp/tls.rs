//! TLS for MLLP with rustls (the `ring` provider): a server certificate,
//! optional client-certificate verification (mTLS), plaintext alongside.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A TLS setting that cannot be used: a file that does not read, PEM with
/// no certificate or key, a key that does not fit the certificate.
///
/// The `Display` text is for people and may change between releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError {
    message: String,
}

impl TlsError {
    fn new(message: impl Into<String>) -> Self {
        TlsError {
            message: message.into(),
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TlsError {}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::new(format!("{what} {}: {e}", path.display())))
}

fn certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::new(format!("{what}: bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError::new(format!("{what}: no certificate in the PEM")));
    }
    Ok(certs)
}

fn key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| TlsError::new(format!("{what}: no usable private key in the PEM: {e}")))
}

fn roots(pem: &[u8], what: &str) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    for c in certs(pem, what)? {
        store
            .add(c)
            .map_err(|e| TlsError::new(format!("{what}: unusable CA certificate: {e}")))?;
    }
    Ok(store)
}

/// The TLS side of a listener.
///
/// ```no_run
/// use hl7_runtime::mllp::ServerTls;
/// use std::path::Path;
///
/// let tls = ServerTls::from_files(Path::new("server.pem"), Path::new("server.key"))?
///     .with_client_ca_file(Path::new("clients-ca.pem"))?   // mTLS
///     .allow_plaintext(true);                               // per connection
/// # Ok::<(), hl7_runtime::mllp::TlsError>(())
/// ```
#[derive(Clone)]
pub struct ServerTls {
    certs: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    client_roots: Option<Arc<RootCertStore>>,
    plaintext: bool,
    acceptor: TlsAcceptor,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("certificates", &self.certs.len())
            .field("client_verification", &self.client_roots.is_some())
            .field("plaintext", &self.plaintext)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A server certificate chain and its private key, both PEM.
    ///
    /// # Errors
    ///
    /// No certificate or key in the PEM, or a key that does not fit.
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> Result<ServerTls, TlsError> {
        let certs = certs(cert_chain, "server certificate")?;
        let key = Arc::new(key(private_key, "server key")?);
        let acceptor = Self::acceptor_with(&certs, &key, None)?;
        Ok(ServerTls {
            certs,
            key,
            client_roots: None,
            plaintext: false,
            acceptor,
        })
    }

    /// [`ServerTls::from_pem`] from files.
    ///
    /// # Errors
    ///
    /// As `from_pem`, or a file that does not read.
    pub fn from_files(cert_chain: &Path, private_key: &Path) -> Result<ServerTls, TlsError> {
        ServerTls::from_pem(
            &read(cert_chain, "server certificate")?,
            &read(private_key, "server key")?,
        )
    }

    /// Requires a client certificate issued by one of these CAs (PEM).
    ///
    /// # Errors
    ///
    /// No usable CA certificate.
    pub fn with_client_ca(mut self, ca_pem: &[u8]) -> Result<ServerTls, TlsError> {
        let roots = Arc::new(roots(ca_pem, "client CA")?);
        self.acceptor = Self::acceptor_with(&self.certs, &self.key, Some(&roots))?;
        self.client_roots = Some(roots);
        Ok(self)
    }

    /// [`ServerTls::with_client_ca`] from a file.
    ///
    /// # Errors
    ///
    /// As `with_client_ca`, or a file that does not read.
    pub fn with_client_ca_file(self, ca: &Path) -> Result<ServerTls, TlsError> {
        let pem = read(ca, "client CA")?;
        self.with_client_ca(&pem)
    }

    /// Also accept plaintext MLLP on the same port: a connection whose
    /// first byte is not a TLS handshake record is served in the clear.
    #[must_use]
    pub fn allow_plaintext(mut self, yes: bool) -> ServerTls {
        self.plaintext = yes;
        self
    }

    /// Is plaintext accepted alongside TLS?
    pub fn allows_plaintext(&self) -> bool {
        self.plaintext
    }

    /// Are clients required to present a certificate?
    pub fn verifies_clients(&self) -> bool {
        self.client_roots.is_some()
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    fn acceptor_with(
        certs: &[CertificateDer<'static>],
        key: &PrivateKeyDer<'static>,
        roots: Option<&Arc<RootCertStore>>,
    ) -> Result<TlsAcceptor, TlsError> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::new(format!("TLS setup: {e}")))?;
        let builder = match roots {
            Some(roots) => {
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::clone(roots), provider())
                        .build()
                        .map_err(|e| TlsError::new(format!("client CA: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(certs.to_vec(), key.clone_key())
            .map_err(|e| TlsError::new(format!("server certificate and key: {e}")))?;
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// The TLS side of a sender: the CAs it trusts and, for mTLS, its own
/// certificate.
#[derive(Clone)]
pub struct ClientTls {
    connector: TlsConnector,
    roots: Arc<RootCertStore>,
    identity: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("trusted_cas", &self.roots.len())
            .field("client_certificate", &self.identity.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Trusts the CA certificates in `ca_pem`.
    ///
    /// # Errors
    ///
    /// No usable CA certificate.
    pub fn from_ca_pem(ca_pem: &[u8]) -> Result<ClientTls, TlsError> {
        let roots = Arc::new(roots(ca_pem, "CA")?);
        let connector = Self::connector(&roots, None)?;
        Ok(ClientTls {
            connector,
            roots,
            identity: None,
        })
    }

    /// [`ClientTls::from_ca_pem`] from a file.
    ///
    /// # Errors
    ///
    /// As `from_ca_pem`, or a file that does not read.
    pub fn from_ca_file(ca: &Path) -> Result<ClientTls, TlsError> {
        ClientTls::from_ca_pem(&read(ca, "CA")?)
    }

    /// Presents this certificate chain and key (PEM) to servers that ask.
    ///
    /// # Errors
    ///
    /// No certificate or key, or a key that does not fit.
    pub fn with_client_cert(
        mut self,
        cert_chain: &[u8],
        private_key: &[u8],
    ) -> Result<ClientTls, TlsError> {
        let certs = certs(cert_chain, "client certificate")?;
        let key = Arc::new(key(private_key, "client key")?);
        let identity = (certs, key);
        self.connector = Self::connector(&self.roots, Some(&identity))?;
        self.identity = Some(identity);
        Ok(self)
    }

    /// [`ClientTls::with_client_cert`] from files.
    ///
    /// # Errors
    ///
    /// As `with_client_cert`, or a file that does not read.
    pub fn with_client_cert_files(
        self,
        cert_chain: &Path,
        key: &Path,
    ) -> Result<ClientTls, TlsError> {
        let c = read(cert_chain, "client certificate")?;
        let k = read(key, "client key")?;
        self.with_client_cert(&c, &k)
    }

    pub(crate) fn connector_ref(&self) -> &TlsConnector {
        &self.connector
    }

    /// The name to verify the server's certificate against.
    pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
        ServerName::try_from(host.to_owned())
            .map_err(|e| TlsError::new(format!("`{host}` is not a valid TLS server name: {e}")))
    }

    fn connector(
        roots: &Arc<RootCertStore>,
        identity: Option<&(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    ) -> Result<TlsConnector, TlsError> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::new(format!("TLS setup: {e}")))?
            .with_root_certificates(Arc::clone(roots));
        let config = match identity {
            Some((certs, key)) => builder
                .with_client_auth_cert(certs.clone(), key.clone_key())
                .map_err(|e| TlsError::new(format!("client certificate and key: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        Ok(TlsConnector::from(Arc::new(config)))
    }
}
