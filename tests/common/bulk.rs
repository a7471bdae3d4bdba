//! A small, strict Elasticsearch stand-in for the tests: the `_bulk` API
//! (and `_index_template`) over HTTP or HTTPS, recording exactly what it
//! stored.
//!
//! What it checks, as Elasticsearch does: the `Content-Type`, gzip
//! `Content-Encoding`, the `Authorization` header when one is required, a
//! body of action/source line pairs ending with a newline (a malformed body
//! is refused whole with 400), index names, data stream rules (`create`
//! only, `@timestamp` required), and a source that is a JSON object without
//! metadata fields. `create` of an existing `_id` answers 409.
//!
//! Faults on demand: whole requests answered 429/5xx, items answered 429,
//! documents carrying a marker field refused with a 400 mapping error, the
//! server down (connections refused) for a while, and responses held back
//! after the documents are stored.

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method and path, e.g. `POST /_bulk`.
    pub request: String,
    /// `Authorization` header.
    pub authorization: Option<String>,
    /// `Content-Encoding` header.
    pub content_encoding: Option<String>,
    /// Bytes on the wire.
    pub wire_bytes: usize,
    /// The body, decoded.
    pub body: Vec<u8>,
    /// The status answered.
    pub status: u16,
}

/// A stored document.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Index or data stream.
    pub index: String,
    /// `_id`.
    pub id: String,
    /// The source.
    pub source: Value,
}

#[derive(Default)]
struct State {
    docs: BTreeMap<(String, String), Value>,
    order: Vec<(String, String)>,
    requests: Vec<Recorded>,
    templates: BTreeMap<String, Value>,
    fail_next: VecDeque<u16>,
    reject_items: usize,
    reject_field: Option<String>,
    auth: Option<String>,
    next_id: u64,
    /// Keep only ids, not sources and bodies (for the benchmark's millions).
    light: bool,
}

struct Shared {
    state: Mutex<State>,
    hold: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The test server (its own runtime, so sync and async tests can use it).
pub struct BulkServer {
    runtime: Option<tokio::runtime::Runtime>,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    serving: Mutex<Option<CancellationToken>>,
    /// The port it listens on (kept while down).
    pub port: u16,
}

impl BulkServer {
    /// A plain HTTP server on a free loopback port.
    pub fn start() -> BulkServer {
        BulkServer::with_tls(None)
    }

    /// An HTTPS server with `cert` and `key` (PEM); with `client_ca`, clients
    /// must present a certificate it signed.
    pub fn start_tls(cert: &str, key: &str, client_ca: Option<&str>) -> BulkServer {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                    roots.add(c.unwrap()).unwrap();
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        let config = builder.with_single_cert(chain, key).unwrap();
        BulkServer::with_tls(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
    }

    fn with_tls(tls: Option<tokio_rustls::TlsAcceptor>) -> BulkServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("bulk-server")
            .build()
            .unwrap();
        let port = super::free_port();
        let server = BulkServer {
            runtime: Some(runtime),
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                hold: tokio::sync::watch::channel(false).0,
            }),
            tls,
            serving: Mutex::new(None),
            port,
        };
        server.up();
        server
    }

    /// `http://127.0.0.1:<port>` (or `https://localhost:<port>`).
    pub fn url(&self) -> String {
        match self.tls {
            Some(_) => format!("https://localhost:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("runtime kept until drop")
    }

    /// Starts listening (again) on the server's port.
    pub fn up(&self) {
        let stop = CancellationToken::new();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shared, tls, port) = (self.shared.clone(), self.tls.clone(), self.port);
        let token = stop.clone();
        self.runtime().spawn(async move {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let listener = loop {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.set_reuseaddr(true).unwrap();
                match socket.bind(addr).and_then(|()| socket.listen(1024)) {
                    Ok(l) => break l,
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
            let _ = ready_tx.send(());
            serve(listener, shared, tls, token).await;
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("bulk server listening");
        *self.serving.lock().unwrap() = Some(stop);
    }

    /// Stops listening and drops every connection: clients get
    /// "connection refused" until [`BulkServer::up`].
    pub fn down(&self) {
        if let Some(stop) = self.serving.lock().unwrap().take() {
            stop.cancel();
        }
        // Wait until the port is closed.
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Down now, up again after `period` (in the background).
    pub fn down_for(self: &Arc<Self>, period: Duration) {
        self.down();
        let server = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(period);
            server.up();
        });
    }

    /// Requires this `Authorization` header on every request (401 otherwise).
    pub fn require_auth(&self, value: &str) {
        self.shared.state().auth = Some(value.to_string());
    }

    /// Answers the next `n` requests with `status` (storing nothing).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.shared
            .state()
            .fail_next
            .extend(std::iter::repeat_n(status, n));
    }

    /// Answers the next `n` items with 429 (storing nothing of them).
    pub fn reject_next_items(&self, n: usize) {
        self.shared.state().reject_items += n;
    }

    /// Refuses documents with this top-level field: a 400 mapping error.
    pub fn reject_field(&self, field: &str) {
        self.shared.state().reject_field = Some(field.to_string());
    }

    /// From now on, responses wait (after storing) until [`BulkServer::release`].
    pub fn hold(&self) {
        self.shared.hold.send_replace(true);
    }

    /// Lets held responses go.
    pub fn release(&self) {
        self.shared.hold.send_replace(false);
    }

    /// Keeps only the ids of stored documents and no request bodies (for a
    /// benchmark: millions of events in little memory).
    pub fn light(&self) {
        self.shared.state().light = true;
    }

    /// Number of stored documents.
    pub fn count(&self) -> usize {
        self.shared.state().docs.len()
    }

    /// Every stored document, in the order stored.
    pub fn docs(&self) -> Vec<Doc> {
        let state = self.shared.state();
        state
            .order
            .iter()
            .map(|k| Doc {
                index: k.0.clone(),
                id: k.1.clone(),
                source: state.docs[k].clone(),
            })
            .collect()
    }

    /// Every request received.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.state().requests.clone()
    }

    /// Installed index templates.
    pub fn templates(&self) -> BTreeMap<String, Value> {
        self.shared.state().templates.clone()
    }
}

impl Drop for BulkServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: CancellationToken,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let (shared, tls) = (shared.clone(), tls.clone());
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&shared, req).await) }
            });
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    // Dropping the set aborts every connection; the listener closes here too.
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().unwrap(),
    );
    response
}

fn error(status: u16, kind: &str, reason: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        json!({"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}, "status": status}),
    )
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let request = format!("{} {}", req.method(), req.uri().path());
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (authorization, encoding, content_type) = (
        header("authorization"),
        header("content-encoding"),
        header("content-type"),
    );
    let wire = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(400, "parse_exception", "unreadable body"),
    };
    let body = match encoding.as_deref() {
        None => Ok(wire.to_vec()),
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&wire[..])
                .read_to_end(&mut out)
                .map(|_| out)
        }
        Some(other) => Err(std::io::Error::other(format!(
            "unsupported encoding {other}"
        ))),
    };
    let response = {
        let mut state = shared.state();
        let response = match &body {
            Err(e) => error(400, "parse_exception", &format!("cannot decode body: {e}")),
            Ok(body) => respond(
                &mut state,
                &request,
                authorization.as_deref(),
                content_type.as_deref(),
                body,
            ),
        };
        let light = state.light;
        state.requests.push(Recorded {
            request: request.clone(),
            authorization,
            content_encoding: encoding,
            wire_bytes: wire.len(),
            body: if light {
                Vec::new()
            } else {
                body.unwrap_or_default()
            },
            status: response.status().as_u16(),
        });
        response
    };
    // Held responses go after the documents are stored.
    let mut hold = shared.hold.subscribe();
    while *hold.borrow_and_update() {
        if hold.changed().await.is_err() {
            break;
        }
    }
    response
}

fn respond(
    state: &mut State,
    request: &str,
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Response<Full<Bytes>> {
    if let Some(expected) = &state.auth {
        if authorization != Some(expected.as_str()) {
            let mut r = error(
                401,
                "security_exception",
                "missing authentication credentials for REST request",
            );
            r.headers_mut().insert(
                "www-authenticate",
                "Basic realm=\"security\", ApiKey".parse().unwrap(),
            );
            return r;
        }
    }
    if let Some(status) = state.fail_next.pop_front() {
        let kind = match status {
            429 => "es_rejected_execution_exception",
            _ => "unavailable_shards_exception",
        };
        return error(status, kind, "injected by the test");
    }
    let (method, path) = request.split_once(' ').unwrap_or(("", ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", [""]) => reply(
            200,
            json!({"name": "bulk-test", "version": {"number": "8.15.0"}, "tagline": "You Know, for Search"}),
        ),
        ("PUT", ["_index_template", name]) => {
            let template: Result<Value, _> = serde_json::from_slice(body);
            match template {
                Ok(t) if t.get("index_patterns").is_some_and(Value::is_array) => {
                    state.templates.insert((*name).to_string(), t);
                    reply(200, json!({"acknowledged": true}))
                }
                _ => error(
                    400,
                    "action_request_validation_exception",
                    "index patterns are missing",
                ),
            }
        }
        ("POST" | "PUT", ["_bulk"]) => bulk(state, None, content_type, body),
        ("POST" | "PUT", [index, "_bulk"]) => bulk(state, Some(*index), content_type, body),
        _ => error(
            400,
            "illegal_argument_exception",
            &format!("no handler found for uri [{path}] and method [{method}]"),
        ),
    }
}

enum Op {
    Create,
    Index,
}

fn bulk(
    state: &mut State,
    default_index: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let mime = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if !matches!(mime, "application/json" | "application/x-ndjson") {
        return error(
            406,
            "media_type_header_exception",
            &format!("Content-Type header [{mime}] is not supported"),
        );
    }
    if body.is_empty() {
        return error(400, "parse_exception", "request body is required");
    }
    if !body.ends_with(b"\n") {
        return error(
            400,
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\n]",
        );
    }
    // Parse the whole body first: a malformed one is refused whole.
    let lines: Vec<&[u8]> = body[..body.len() - 1].split(|b| *b == b'\n').collect();
    let mut actions = Vec::new();
    let mut n = 0;
    while n < lines.len() {
        let line_no = n + 1;
        let malformed = |why: &str| {
            error(
                400,
                "illegal_argument_exception",
                &format!("Malformed action/metadata line [{line_no}]: {why}"),
            )
        };
        let Ok(Value::Object(action)) = serde_json::from_slice::<Value>(lines[n]) else {
            return malformed("expected START_OBJECT");
        };
        if action.len() != 1 {
            return malformed("expected exactly one action");
        }
        let (name, meta) = action.into_iter().next().unwrap();
        let op = match name.as_str() {
            "create" => Op::Create,
            "index" => Op::Index,
            other => {
                return malformed(&format!(
                    "action [{other}] is not supported by this test server"
                ))
            }
        };
        let Value::Object(meta) = meta else {
            return malformed("expected an object of metadata");
        };
        if let Some(unknown) = meta
            .keys()
            .find(|k| !matches!(k.as_str(), "_index" | "_id"))
        {
            return error(
                400,
                "illegal_argument_exception",
                &format!(
                    "Action/metadata line [{line_no}] contains an unknown parameter [{unknown}]"
                ),
            );
        }
        let index = match (meta.get("_index"), default_index) {
            (Some(Value::String(i)), _) => i.clone(),
            (None, Some(i)) => i.to_string(),
            _ => {
                return error(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: index is missing;",
                )
            }
        };
        let id = match meta.get("_id") {
            None => None,
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(_) => return malformed("_id must be a non-empty string"),
        };
        let Some(source) = lines.get(n + 1) else {
            return error(
                400,
                "illegal_argument_exception",
                &format!("source is missing for the action on line [{line_no}]"),
            );
        };
        actions.push((op, index, id, *source));
        n += 2;
    }
    let mut items = Vec::new();
    let mut errors = false;
    for (op, index, id, source) in actions {
        let (status, err) = item(state, &op, &index, id.clone(), source);
        let op_name = match op {
            Op::Create => "create",
            Op::Index => "index",
        };
        let mut result = Map::new();
        result.insert("_index".into(), json!(index));
        if let Some(id) = &id {
            result.insert("_id".into(), json!(id));
        }
        result.insert("status".into(), json!(status));
        match err {
            Some((kind, reason)) => {
                errors = true;
                result.insert(
                    "error".into(),
                    json!({"type": kind, "reason": reason, "index": index}),
                );
            }
            None => {
                result.insert("_version".into(), json!(1));
                result.insert("result".into(), json!("created"));
            }
        }
        let mut op = Map::new();
        op.insert(op_name.to_string(), Value::Object(result));
        items.push(Value::Object(op));
    }
    reply(200, json!({"took": 1, "errors": errors, "items": items}))
}

fn valid_index_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['-', '_', '+'])
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c.is_uppercase() || c.is_whitespace() || "\\/*?\"<>|,#:".contains(c))
}

/// A data stream by the `logs-*-*` naming scheme.
fn is_data_stream(name: &str) -> bool {
    name.splitn(3, '-').count() == 3 && name.starts_with("logs-")
}

type ItemResult = (u16, Option<(&'static str, String)>);

fn item(state: &mut State, op: &Op, index: &str, id: Option<String>, source: &[u8]) -> ItemResult {
    if !valid_index_name(index) {
        return (
            400,
            Some((
                "invalid_index_name_exception",
                format!("Invalid index name [{index}]"),
            )),
        );
    }
    if is_data_stream(index) && !matches!(op, Op::Create) {
        return (400, Some(("illegal_argument_exception", format!("only write ops with an op_type of create are allowed in data streams [{index}]"))));
    }
    if state.light {
        return light_item(state, index, id, source);
    }
    let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(source) else {
        return (
            400,
            Some((
                "mapper_parsing_exception",
                "failed to parse: the source is not a JSON object".into(),
            )),
        );
    };
    if let Some(meta) = doc.keys().find(|k| k.starts_with('_')) {
        return (
            400,
            Some((
                "mapper_parsing_exception",
                format!(
                    "Field [{meta}] is a metadata field and cannot be added inside a document."
                ),
            )),
        );
    }
    if is_data_stream(index) && !doc.contains_key("@timestamp") {
        return (
            400,
            Some((
                "mapper_parsing_exception",
                "data stream timestamp field [@timestamp] is missing".into(),
            )),
        );
    }
    if let Some(field) = &state.reject_field {
        if doc.contains_key(field) {
            return (
                400,
                Some((
                    "mapper_parsing_exception",
                    format!("failed to parse field [{field}] of type [long]"),
                )),
            );
        }
    }
    if state.reject_items > 0 {
        state.reject_items -= 1;
        return (
            429,
            Some((
                "es_rejected_execution_exception",
                "rejected execution (injected by the test)".into(),
            )),
        );
    }
    let id = id.unwrap_or_else(|| {
        state.next_id += 1;
        format!("auto-{}", state.next_id)
    });
    let key = (index.to_string(), id.clone());
    if state.docs.contains_key(&key) {
        if matches!(op, Op::Create) {
            return (
                409,
                Some((
                    "version_conflict_engine_exception",
                    format!("[{id}]: version conflict, document already exists"),
                )),
            );
        }
    } else {
        state.order.push(key.clone());
    }
    let source = if state.light {
        Value::Null
    } else {
        Value::Object(doc)
    };
    state.docs.insert(key, source);
    (201, None)
}

/// The benchmark's cheaper path: the source is checked to be one JSON
/// object with a `@timestamp` member, without building it; only the id is kept.
fn light_item(state: &mut State, index: &str, id: Option<String>, source: &[u8]) -> ItemResult {
    let object = source.first() == Some(&b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(source).is_ok();
    if !object || memchr::memmem::find(source, b"\"@timestamp\":").is_none() {
        return (
            400,
            Some((
                "mapper_parsing_exception",
                "not a JSON object with @timestamp".into(),
            )),
        );
    }
    let id = id.unwrap_or_else(|| {
        state.next_id += 1;
        format!("auto-{}", state.next_id)
    });
    let key = (index.to_string(), id.clone());
    if state.docs.contains_key(&key) {
        return (
            409,
            Some((
                "version_conflict_engine_exception",
                format!("[{id}]: version conflict, document already exists"),
            )),
        );
    }
    state.docs.insert(key, Value::Null);
    (201, None)
}

/// A self-signed certificate authority with a server certificate (for
/// `localhost` and 127.0.0.1) and a client certificate it signed, as PEM.
pub struct TestPki {
    /// The CA certificate.
    pub ca: String,
    /// Server certificate.
    pub server_cert: String,
    /// Server key.
    pub server_key: String,
    /// Client certificate.
    pub client_cert: String,
    /// Client key.
    pub client_key: String,
}

impl TestPki {
    /// Generates a fresh one.
    pub fn generate() -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "loglift test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let mut server_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
        let client_key = KeyPair::generate().unwrap();
        let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, "loglift");
        client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params.signed_by(&client_key, &ca, &ca_key).unwrap();
        TestPki {
            ca: ca.pem(),
            server_cert: server.pem(),
            server_key: server_key.serialize_pem(),
            client_cert: client.pem(),
            client_key: client_key.serialize_pem(),
        }
    }
}

/// `n` VPC flow log events (numbered from `start`) as the agent writes them:
/// `loglift parse` run on generated lines.
pub fn vpcflow_events(start: usize, n: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("flows-{start}.log"));
    std::fs::write(&path, super::vpcflow_lines(start, n)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["parse", "--dataset", "aws.vpcflow"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
