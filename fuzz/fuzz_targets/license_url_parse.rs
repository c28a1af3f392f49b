//! Arbitrary URL-form licences and ownerships never panic, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_profile::{LicensedResource, TenantOwnership};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(licence) = LicensedResource::from_url(text) {
        if let Ok(url) = licence.to_url() {
            assert_eq!(LicensedResource::from_url(&url).expect("our URL parses"), licence);
        }
    }
    if let Ok(owned) = TenantOwnership::from_url(text) {
        assert_eq!(TenantOwnership::from_url(&owned.to_url()).expect("our URL parses"), owned);
    }
});
