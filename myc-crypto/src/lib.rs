#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod envelope;
mod error;
mod file_store;
pub mod format;
mod keys;
mod master;
mod random;
mod store;
pub mod upstream;
pub mod xaes;

pub use envelope::{Envelope, RewrapReport};
pub use error::{Error, Result};
pub use file_store::JsonFileDekStore;
pub use keys::{Kek, KekRing, WrappedDek};
pub use master::{MasterKey, Purpose};
pub use store::{DekStore, Insert, MemoryDekStore, StoredDek};
