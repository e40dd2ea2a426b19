//! folio: builds print-ready magazine PDFs from issue manifests with an
//! embedded Typst compiler.
//!
//! Data flows one way: [`args`] → [`build::BuildConfig`] → [`model`] (from
//! [`manifest`] and [`markdown`]) → [`photos`] → template inputs
//! ([`compile`]) → [`world`] → document → [`export`].

pub mod args;
pub mod build;
pub mod compile;
pub mod diag;
pub mod eject;
pub mod export;
pub mod inspect;
pub mod manifest;
pub mod markdown;
pub mod model;
pub mod output;
pub mod paths;
pub mod photos;
pub mod world;
