//! `s3://BUCKET/PREFIX` URLs and the S3 client configured from the environment.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::{BackoffConfig, ClientOptions, RetryConfig};

use crate::ObjectBackend;

/// `gc`'s default grace period on a remote store: a save must finish within it.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// A parsed `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    /// The bucket.
    pub bucket: String,
    /// The key prefix, without leading or trailing `/` (may be empty).
    pub prefix: String,
}

/// Whether a store argument names a remote store (`s3://…`) rather than a directory.
pub fn is_remote(arg: &str) -> bool {
    arg.starts_with("s3://")
}

impl RemoteUrl {
    /// Parses `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str) -> io::Result<RemoteUrl> {
        let bad = |what: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("store URL `{url}`: {what}"),
            )
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("only s3:// URLs name remote stores"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(bad("not a valid bucket name"));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..")
            || prefix.contains("//")
            || prefix.bytes().any(|b| b.is_ascii_control())
        {
            return Err(bad("the prefix has an empty, `.` or `..` component"));
        }
        Ok(RemoteUrl {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The URL, normalised.
    pub fn to_url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// Opens the store at `url` (`s3://BUCKET/PREFIX`), configured from the
/// environment: `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP` (and the other
/// `AWS_*` variables `object_store` knows). Failed requests are retried a
/// few times over at most `retry` (only those safe to repeat: `object_store`
/// retries server errors and timeouts, never a failed condition).
pub fn open_url(url: &str, grace: Duration, retry: Duration) -> io::Result<ObjectBackend> {
    open_url_with(url, std::env::vars(), grace, retry)
}

/// Like [`open_url`], with the `AWS_*` settings taken from `vars` instead
/// of the environment (other names are ignored).
pub fn open_url_with(
    url: &str,
    vars: impl IntoIterator<Item = (String, String)>,
    grace: Duration,
    retry: Duration,
) -> io::Result<ObjectBackend> {
    let parsed = RemoteUrl::parse(url)?;
    // reqwest is built without a default TLS provider (no aws-lc, no cmake):
    // ring serves (deprecated for lacking post-quantum key exchange, which
    // aws-lc has, at the price of cmake). Installing twice is harmless.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let retry_config = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 4,
        retry_timeout: retry,
    };
    let client = ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(120));
    // The region first: a bucket on another S3 service needs one, any one.
    // The client options before the variables: they would replace
    // AWS_ALLOW_HTTP.
    let mut builder = AmazonS3Builder::new()
        .with_region("us-east-1")
        .with_client_options(client)
        .with_retry(retry_config);
    for (key, value) in vars {
        if let Some(k) = key.strip_prefix("AWS_")
            && let Ok(config) = format!("aws_{}", k.to_ascii_lowercase()).parse()
        {
            builder = builder.with_config(config, value);
        }
    }
    let builder = builder.with_bucket_name(&parsed.bucket);
    let store = builder.build().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "opening the store `{url}`: {}",
                e.to_string().replace('\n', " ")
            ),
        )
    })?;
    ObjectBackend::new(Arc::new(store), parsed.to_url(), &parsed.prefix, grace)
}
