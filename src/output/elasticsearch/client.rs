//! The HTTP side of the Elasticsearch output: hosts used in turn with
//! health, authentication, TLS, gzip bodies and time limits.
//!
//! Secrets end up only in the `Authorization` header (marked sensitive);
//! errors name the host URL, which never holds credentials (the
//! configuration refuses URLs with user info).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tracing::warn;

use crate::config::{Compression, ElasticsearchOutputConfig, TlsConfig};
use crate::lock;

type HttpClient =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Why a client could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the TLS settings.
    #[error("TLS settings: {0}")]
    Tls(#[from] rustls::Error),
    /// No certificate authority could be loaded.
    #[error("no trusted certificate authorities: set tls.ca or install the system's")]
    NoRoots,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// No connection, or it broke.
    #[error("{host}: {reason}")]
    Connection {
        /// The host's base URL.
        host: String,
        /// The error and its causes.
        reason: String,
    },
    /// No answer within the time limit.
    #[error("{host}: no answer within {timeout:?}")]
    Timeout {
        /// The host's base URL.
        host: String,
        /// The limit.
        timeout: Duration,
    },
}

impl RequestError {
    /// The host's base URL.
    pub fn host(&self) -> &str {
        match self {
            RequestError::Connection { host, .. } | RequestError::Timeout { host, .. } => host,
        }
    }
}

/// An answer: the host that gave it, its status and body.
#[derive(Debug)]
pub struct Response {
    /// The host's base URL.
    pub host: String,
    /// HTTP status.
    pub status: StatusCode,
    /// The (uncompressed) body.
    pub body: Bytes,
}

impl Response {
    /// The start of the body as text, for error messages.
    pub fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(300)]);
        text.replace('\n', " ")
    }
}

struct Host {
    base: String,
    down_until: Mutex<Option<Instant>>,
}

/// A client for a cluster: cheap to clone, shared by concurrent requests.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    hosts: Vec<Host>,
    next: AtomicUsize,
    cooldown: Duration,
    timeout: Duration,
    authorization: Option<HeaderValue>,
    compression: Compression,
}

impl Client {
    /// A client for the hosts, credentials and TLS settings of `config`.
    pub fn new(config: &ElasticsearchOutputConfig) -> Result<Client, ClientError> {
        let https = config.hosts.iter().any(|h| h.starts_with("https:"));
        let tls = tls_config(&config.tls, https)?;
        let mut connector = HttpConnector::new();
        connector.enforce_http(false);
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.timeout.min(Duration::from_secs(10))));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                hosts: config
                    .hosts
                    .iter()
                    .map(|h| Host {
                        base: h.trim_end_matches('/').to_string(),
                        down_until: Mutex::new(None),
                    })
                    .collect(),
                next: AtomicUsize::new(0),
                cooldown: config.host_cooldown,
                timeout: config.timeout,
                authorization: authorization(config),
                compression: config.compression,
            }),
        })
    }

    /// Sends `body` (NDJSON) to `POST /_bulk` of the next healthy host,
    /// gzip'd when configured.
    pub async fn bulk(&self, body: Bytes) -> Result<Response, RequestError> {
        let (body, gzip) = match self.inner.compression {
            Compression::Gzip => (gzip(body).await, true),
            Compression::None => (body, false),
        };
        self.send(Method::POST, "/_bulk", "application/x-ndjson", body, gzip)
            .await
    }

    /// `PUT path` with a JSON body, on the next healthy host; on a
    /// connection error the other hosts are tried.
    pub async fn put_json(&self, path: &str, body: Bytes) -> Result<Response, RequestError> {
        let mut last = None;
        for _ in 0..self.inner.hosts.len() {
            match self
                .send(Method::PUT, path, "application/json", body.clone(), false)
                .await
            {
                Ok(r) => return Ok(r),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one host"))
    }

    /// `GET path` on the next host in turn (`loglift check` asks `/` of
    /// each host: [`Client::hosts`] calls visit them all).
    pub async fn get(&self, path: &str) -> Result<Response, RequestError> {
        self.send(Method::GET, path, "application/json", Bytes::new(), false)
            .await
    }

    /// How many hosts the output sends to.
    pub fn hosts(&self) -> usize {
        self.inner.hosts.len()
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: &'static str,
        body: Bytes,
        gzip: bool,
    ) -> Result<Response, RequestError> {
        let host = self.pick();
        let base = &self.inner.hosts[host].base;
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{base}{path}"))
            .header(CONTENT_TYPE, content_type);
        if gzip {
            request = request.header(CONTENT_ENCODING, "gzip");
        }
        if let Some(auth) = &self.inner.authorization {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let request = request
            .body(Full::new(body))
            .expect("a valid request: the URL was checked with the configuration");
        let exchange =
            async {
                let response = self.inner.http.request(request).await.map_err(|e| {
                    RequestError::Connection {
                        host: base.clone(),
                        reason: causes(&e),
                    }
                })?;
                let status = response.status();
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| RequestError::Connection {
                        host: base.clone(),
                        reason: causes(&e),
                    })?
                    .to_bytes();
                Ok(Response {
                    host: base.clone(),
                    status,
                    body,
                })
            };
        let result = match tokio::time::timeout(self.inner.timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(RequestError::Timeout {
                host: base.clone(),
                timeout: self.inner.timeout,
            }),
        };
        let healthy = match &result {
            Ok(r) => !r.status.is_server_error(),
            Err(_) => false,
        };
        self.mark(host, healthy);
        result
    }

    /// The next host in turn that is not cooling down after a failure; when
    /// all are, the one that failed longest ago.
    fn pick(&self) -> usize {
        let n = self.inner.hosts.len();
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut soonest = (start % n, None::<Instant>);
        for k in 0..n {
            let i = (start + k) % n;
            match *lock(&self.inner.hosts[i].down_until) {
                None => return i,
                Some(until) if until <= now => return i,
                Some(until) => {
                    if soonest.1.is_none_or(|s| until < s) {
                        soonest = (i, Some(until));
                    }
                }
            }
        }
        soonest.0
    }

    fn mark(&self, host: usize, healthy: bool) {
        let host = &self.inner.hosts[host];
        let mut down = lock(&host.down_until);
        if healthy {
            *down = None;
        } else {
            if down.is_none() && self.inner.hosts.len() > 1 {
                warn!(host = %host.base, cooldown = ?self.inner.cooldown, "elasticsearch host failing; using the others for a while");
            }
            *down = Some(Instant::now() + self.inner.cooldown);
        }
    }
}

/// An error and its causes on one line.
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The `Authorization` header: `Basic` for username/password, `ApiKey` for
/// an API key (`id:key` is encoded; an encoded key is used as it is).
fn authorization(config: &ElasticsearchOutputConfig) -> Option<HeaderValue> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let value = match (&config.username, &config.password, &config.api_key) {
        (Some(user), Some(password), _) => format!(
            "Basic {}",
            b64.encode(format!("{user}:{}", password.expose()))
        ),
        (_, _, Some(key)) if key.expose().contains(':') => {
            format!("ApiKey {}", b64.encode(key.expose()))
        }
        (_, _, Some(key)) => format!("ApiKey {}", key.expose()),
        _ => return None,
    };
    let mut header = HeaderValue::from_str(&value).ok()?;
    header.set_sensitive(true);
    Some(header)
}

/// gzip at the fastest level, on a blocking thread (it is CPU work).
async fn gzip(body: Bytes) -> Bytes {
    let compress = move || {
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        enc.write_all(&body).expect("writing to a Vec");
        Bytes::from(enc.finish().expect("writing to a Vec"))
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(compress)
            .await
            .expect("gzip does not panic"),
        Err(_) => compress(),
    }
}

fn read_pem(path: &std::path::Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|e| ClientError::Pem {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// The rustls client settings of `tls`; `https` tells whether a host needs
/// them (then some certificate authority must be trusted).
pub fn tls_config(tls: &TlsConfig, https: bool) -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if !tls.verify {
        warn!("elasticsearch output: tls.verify is false; server certificates are not checked");
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &tls.ca {
            Some(path) => {
                let pem = read_pem(path)?;
                for cert in CertificateDer::pem_slice_iter(&pem) {
                    let cert = cert.map_err(|e| ClientError::Pem {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                    roots.add(cert)?;
                }
            }
            None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(cert);
                }
            }
        }
        if roots.is_empty() && (https || tls.ca.is_some()) {
            return Err(match &tls.ca {
                Some(path) => ClientError::Pem {
                    path: path.display().to_string(),
                    reason: "no certificate in the file".into(),
                },
                None => ClientError::NoRoots,
            });
        }
        builder.with_root_certificates(roots)
    };
    Ok(match (&tls.certificate, &tls.key) {
        (Some(cert), Some(key)) => {
            let pem = read_pem(cert)?;
            let chain = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ClientError::Pem {
                    path: cert.display().to_string(),
                    reason: e.to_string(),
                })?;
            let key_pem = read_pem(key)?;
            let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| ClientError::Pem {
                path: key.display().to_string(),
                reason: e.to_string(),
            })?;
            builder.with_client_auth_cert(chain, key)?
        }
        _ => builder.with_no_client_auth(),
    })
}

/// `tls.verify: false`: any certificate is accepted (signatures are still
/// checked, so the handshake itself is sound).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn authorization_is_basic_or_api_key() {
        let mut c = ElasticsearchOutputConfig::new(vec!["http://es:9200".into()]);
        assert!(authorization(&c).is_none());
        c.username = Some("elastic".into());
        c.password = Some(Secret::new("changeme"));
        let basic = authorization(&c).unwrap();
        assert_eq!(basic, "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
        assert!(basic.is_sensitive());
        c.username = None;
        c.password = None;
        c.api_key = Some(Secret::new("VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"));
        assert_eq!(
            authorization(&c).unwrap(),
            "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
        );
        c.api_key = Some(Secret::new("already-encoded=="));
        assert_eq!(authorization(&c).unwrap(), "ApiKey already-encoded==");
    }

    #[test]
    fn a_failing_host_is_skipped_until_its_cooldown_ends() {
        let mut c = ElasticsearchOutputConfig::new(vec!["http://a".into(), "http://b".into()]);
        c.host_cooldown = Duration::from_millis(200);
        let client = Client::new(&c).unwrap();
        let picks: Vec<usize> = (0..4).map(|_| client.pick()).collect();
        assert_eq!(picks, [0, 1, 0, 1], "round robin");
        client.mark(0, false);
        assert!((0..4).all(|_| client.pick() == 1), "a is cooling down");
        client.mark(1, false);
        assert_eq!(client.pick(), 0, "all down: the one that failed first");
        std::thread::sleep(Duration::from_millis(250));
        let picks: Vec<usize> = (0..2).map(|_| client.pick()).collect();
        assert!(picks.contains(&0) && picks.contains(&1));
    }
}
