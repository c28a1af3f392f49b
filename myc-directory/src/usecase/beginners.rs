//! `beginners.*`: what any authenticated caller may do for itself.

use super::Caller;
use myc_profile::Profile;

/// `beginners.profile.get`: the caller's own resolved profile.
pub fn profile_get(caller: &Caller) -> &Profile {
    &caller.profile
}
