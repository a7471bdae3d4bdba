//! AWS clients, built one way for every input (DESIGN §6): region, endpoint
//! override, path-style addressing, and credentials from static keys, a
//! named profile in a shared credentials file, an assumed role with an
//! external id, or the default chain. Secrets never reach logs: the SDK's
//! credential types redact them in `Debug`.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

use crate::config::AwsSettings;

/// Session name used when assuming a role.
const SESSION_NAME: &str = "loglift";

/// Loads the SDK configuration `settings` describe.
pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    let base = base_sdk_config(settings).await;
    let Some(role_arn) = &settings.role_arn else {
        return base;
    };
    // The assumed role's credentials are cached by the SDK and refreshed before they expire.
    let mut role = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name(SESSION_NAME)
        .configure(&base);
    if let Some(external_id) = &settings.external_id {
        role = role.external_id(external_id);
    }
    let provider = role.build().await;
    base.into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// Where the credentials of `settings` come from, before any role is
/// assumed, for messages (`static keys from the configuration`, ...).
pub fn credential_source(settings: &AwsSettings) -> String {
    match (
        &settings.access_key_id,
        &settings.secret_access_key,
        &settings.credential_profile_name,
        &settings.shared_credential_file,
    ) {
        (Some(_), Some(_), _, _) => "static keys from the configuration".to_string(),
        (_, _, Some(profile), Some(file)) => {
            format!("profile `{profile}` of {}", file.display())
        }
        (_, _, Some(profile), None) => format!("profile `{profile}` of the shared files"),
        (_, _, None, Some(file)) => format!("default profile of {}", file.display()),
        _ => "default chain (environment, profile, web identity, container, instance metadata)"
            .to_string(),
    }
}

/// The SDK configuration of `settings` without assuming `role_arn`: the
/// credentials the role is assumed with.
pub async fn base_sdk_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if settings.fips == Some(true) {
        loader = loader.use_fips(true);
    }
    match (&settings.access_key_id, &settings.secret_access_key) {
        (Some(id), Some(secret)) => {
            let creds = Credentials::new(
                id,
                secret,
                settings.session_token.clone(),
                None,
                "loglift-config",
            );
            loader = loader.credentials_provider(creds);
        }
        _ => {
            if let Some(profile) = &settings.credential_profile_name {
                let mut builder = aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(profile);
                if let Some(file) = &settings.shared_credential_file {
                    let files = EnvConfigFiles::builder()
                        .with_file(EnvConfigFileKind::Credentials, file)
                        .build();
                    builder = builder.profile_files(files);
                }
                loader = loader.credentials_provider(builder.build());
            } else if let Some(file) = &settings.shared_credential_file {
                let files = EnvConfigFiles::builder()
                    .with_file(EnvConfigFileKind::Credentials, file)
                    .build();
                loader = loader.credentials_provider(
                    aws_config::profile::ProfileFileCredentialsProvider::builder()
                        .profile_files(files)
                        .build(),
                );
            }
        }
    }
    loader.load().await
}

/// Obtains credentials once, so that a wrong key, secret, profile or external
/// id is reported at start, naming the input, instead of only as failing
/// requests. The input starts anyway and retries with backoff.
pub async fn check_credentials(input: &str, config: &SdkConfig, settings: &AwsSettings) {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(provider) = config.credentials_provider() else {
        return;
    };
    if let Err(e) = provider.provide_credentials().await {
        let how = settings
            .role_arn
            .as_deref()
            .map(|r| format!(" (assuming role {r})"))
            .unwrap_or_default();
        tracing::error!(
            input,
            "cannot obtain AWS credentials{how}: {}",
            with_causes(&e)
        );
    }
}

/// An S3 client for `settings` (path-style when asked, as S3-compatible stores need).
pub fn s3_client(config: &SdkConfig, settings: &AwsSettings) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(settings.force_path_style.unwrap_or(false))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// An SQS client.
pub fn sqs_client(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// The service error code and message of any SDK error (S3, SQS, STS: they
/// share one error type), for one-line logs (`AccessDenied: ...`), or its
/// display form with its causes.
pub fn error_summary<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(e) => format!(
            "{}: {}",
            e.code().unwrap_or("error"),
            e.message().unwrap_or("(no message)")
        ),
        None => with_causes(err),
    }
}

/// An error and its chain of causes on one line (`a: b: c`).
pub fn with_causes(err: &dyn std::error::Error) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// What an SDK error says, in pieces: the service's error code, its message,
/// and the HTTP status (S3's HEAD responses carry no body, so no code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The service's error code (`AccessDenied`, `NoSuchBucket`, ...), when it sent one.
    pub code: Option<String>,
    /// The service's message, or the error and its causes when no response came.
    pub message: String,
    /// HTTP status of the response, when there was one.
    pub status: Option<u16>,
}

/// Splits any SDK error (S3, SQS, STS share one error type) into [`ErrorInfo`].
pub fn error_info<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> ErrorInfo
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    match err.as_service_error() {
        Some(e) => ErrorInfo {
            code: e.code().map(str::to_string),
            message: e.message().unwrap_or("(no message)").to_string(),
            status,
        },
        None => ErrorInfo {
            code: None,
            message: with_causes(err),
            status,
        },
    }
}
