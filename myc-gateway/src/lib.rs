//! The reference gateway's library: routing (this session), then configuration, proxy, store.
//!
//! | module | what |
//! |---|---|
//! | [`routing`] | safe path normalization, wildmatch routes, most-specific-wins, ambiguity at start-up |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod routing;
