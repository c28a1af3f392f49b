//! Arbitrary tokens never panic the decoders of any claim type, and nothing forged verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myc_natsauth::claims::{Account, Activation, AuthorizationRequest, AuthorizationResponse, Claims, Generic, Operator, User};
use myc_natsauth::jwt;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = jwt::peek_type(text);
    let _ = Claims::<Operator>::decode(text);
    let _ = Claims::<Account>::decode(text);
    let _ = Claims::<User>::decode(text);
    let _ = Claims::<Activation>::decode(text);
    let _ = Claims::<Generic>::decode(text);
    let _ = Claims::<AuthorizationRequest>::decode(text);
    let _ = Claims::<AuthorizationResponse>::decode(text);
    // With the real header prepended, the payload and signature are fuzzed.
    let _ = Claims::<User>::decode(&format!("{}.{text}", jwt::HEADER));
});
