//! The one source of randomness: the operating system's CSPRNG (`getrandom`), which stays
//! correct across `fork` (a user-space generator may repeat nonces in a forked child).

use crate::{Error, Result};

pub(crate) fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf).map_err(|e| Error::Random(e.to_string()))
}

pub(crate) fn array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}
