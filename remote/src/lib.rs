//! Snapshot stores on S3-compatible object storage, behind the snapshots crate's `Backend` trait.
//!
//! [`ObjectBackend`] keeps a store's files (packs, loose objects, refs, gc's
//! pending list) as objects under a prefix of a bucket, through the
//! `object_store` crate; [`open_url`] makes one from an `s3://BUCKET/PREFIX`
//! URL and the standard `AWS_*` environment variables. A store opened so is
//! shared by every host that opens the same URL: objects and packs are
//! written create-if-absent, refs change by conditional write, and `gc`
//! removes only after a grace period (see the snapshots crate's `shared_gc`).
#![deny(missing_docs)]

mod backend;
mod url;

pub use backend::{ObjectBackend, RequestStats, Requests, Version};
pub use url::{DEFAULT_GRACE, RemoteUrl, is_remote, open_url, open_url_with};
