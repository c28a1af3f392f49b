//! Property tests: arbitrary profiles, URL forms and connection strings round-trip; arbitrary
//! input never panics a decoder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, FixedOffset, TimeZone};
use myc_profile::connection_string::{
    ConnectionString, HmacKeyring, ParsedConnectionString, ScopedRole,
};
use myc_profile::signature::{ProfileVerifier, RequestBinding};
use myc_profile::{
    AccountMetaKey, LicensedResource, LicensedResources, Owner, Permission, Profile,
    TenantOwnership, TenantsOwnership, VerboseStatus, codec,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use uuid::Uuid;

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn permission() -> impl Strategy<Value = Permission> {
    prop_oneof![Just(Permission::Read), Just(Permission::Write)]
}

/// Whole seconds between 1990 and 2100 at a minute-aligned offset (RFC 3339 has no seconds).
fn timestamp() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (631_152_000i64..4_102_444_800, -14 * 60..=14 * 60i32).prop_map(|(secs, minutes)| {
        FixedOffset::east_opt(minutes * 60)
            .unwrap()
            .timestamp_opt(secs, 0)
            .unwrap()
    })
}

fn owner() -> impl Strategy<Value = Owner> {
    (
        uuid(),
        "[a-z0-9.]{1,10}@[a-z]{1,8}\\.com",
        option::of(".{0,12}"),
        option::of(".{0,12}"),
        option::of("\\PC{0,8}"),
        any::<bool>(),
    )
        .prop_map(
            |(id, email, first_name, last_name, username, is_principal)| Owner {
                id,
                email,
                first_name,
                last_name,
                username,
                is_principal,
            },
        )
}

/// Licences whose every value has a URL form (slugs without ':', flags without ',').
fn licence() -> impl Strategy<Value = LicensedResource> {
    (
        (
            uuid(),
            any::<bool>(),
            uuid(),
            ".{0,16}",
            "[A-Za-z0-9 _+&%=/.-]{1,12}",
            uuid(),
        ),
        (
            permission(),
            any::<bool>(),
            option::of(vec("[a-z_+ &%]{1,8}", 0..3)),
            option::of(vec("[a-z_+ &%]{1,8}", 0..3)),
        ),
    )
        .prop_map(
            |(
                (acc_id, sys_acc, tenant_id, acc_name, role, role_id),
                (perm, verified, permit_flags, deny_flags),
            )| {
                LicensedResource {
                    acc_id,
                    sys_acc,
                    tenant_id,
                    acc_name,
                    role,
                    role_id,
                    perm,
                    verified,
                    permit_flags,
                    deny_flags,
                }
            },
        )
}

fn ownership() -> impl Strategy<Value = TenantOwnership> {
    (uuid(), ".{0,16}", timestamp()).prop_map(|(id, name, since)| TenantOwnership {
        id,
        name,
        since,
    })
}

fn meta_key() -> impl Strategy<Value = AccountMetaKey> {
    prop_oneof![
        Just(AccountMetaKey::PhoneNumber),
        Just(AccountMetaKey::TelegramUser),
        Just(AccountMetaKey::WhatsAppUser),
        Just(AccountMetaKey::Locale),
        Just(AccountMetaKey::EmergencyContactName),
        Just(AccountMetaKey::EmergencyContactPhone),
        Just(AccountMetaKey::JobTitle),
        "[a-z:_]{0,8}".prop_map(AccountMetaKey::Custom),
    ]
}

fn status() -> impl Strategy<Value = VerboseStatus> {
    prop_oneof![
        Just(VerboseStatus::Unverified),
        Just(VerboseStatus::Verified),
        Just(VerboseStatus::Inactive),
        Just(VerboseStatus::Archived),
        Just(VerboseStatus::Deleted),
        Just(VerboseStatus::Unknown),
    ]
}

fn profile() -> impl Strategy<Value = Profile> {
    (
        (
            vec(owner(), 0..3),
            uuid(),
            any::<[bool; 8]>(),
            option::of(status()),
        ),
        option::of(prop_oneof![
            vec(licence(), 0..6).prop_map(LicensedResources::Records),
            vec(licence(), 0..4).prop_map(|l| LicensedResources::Urls(
                l.iter().map(|r| r.to_url().unwrap()).collect()
            )),
        ]),
        option::of(prop_oneof![
            vec(ownership(), 0..3).prop_map(TenantsOwnership::Records),
            vec(ownership(), 0..3).prop_map(|o| TenantsOwnership::Urls(
                o.iter().map(TenantOwnership::to_url).collect()
            )),
        ]),
        option::of(proptest::collection::btree_map(meta_key(), ".{0,10}", 0..4)),
        option::of(vec("[0-9]:[a-zA-Z]{1,8}:.{0,8}", 0..3)),
    )
        .prop_map(
            |(
                (owners, acc_id, f, verbose_status),
                licensed_resources,
                tenants_ownership,
                meta,
                filtering_state,
            )| {
                Profile {
                    owners,
                    acc_id,
                    is_subscription: f[0],
                    is_manager: f[1],
                    is_staff: f[2],
                    owner_is_active: f[3],
                    account_is_active: f[4],
                    account_was_approved: f[5],
                    account_was_archived: f[6],
                    account_was_deleted: f[7],
                    verbose_status,
                    licensed_resources,
                    tenants_ownership,
                    meta: meta.map(|m: BTreeMap<_, _>| m),
                    filtering_state,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn profiles_round_trip_through_the_header(p in profile()) {
        let header = codec::encode(&p).unwrap();
        prop_assert_eq!(codec::decode(&header).unwrap(), p.clone());
        // And through plain JSON, the legacy header form.
        prop_assert_eq!(codec::decode(&p.to_json().unwrap()).unwrap(), p);
    }

    #[test]
    fn url_forms_round_trip(l in licence(), o in ownership()) {
        prop_assert_eq!(LicensedResource::from_url(&l.to_url().unwrap()).unwrap(), l);
        prop_assert_eq!(TenantOwnership::from_url(&o.to_url()).unwrap(), o);
    }

    #[test]
    fn url_chains_equal_record_chains(ls in vec(licence(), 0..6), t in uuid(), w in any::<bool>()) {
        // The access chain sees the same licences whichever form the profile carries.
        let mut a = Profile::new(Uuid::nil());
        a.licensed_resources = Some(LicensedResources::Records(ls.clone()));
        let mut b = a.clone();
        b.licensed_resources = Some(LicensedResources::Urls(ls.iter().map(|l| l.to_url().unwrap()).collect()));
        let tenant = ls.first().map_or(t, |l| l.tenant_id);
        let p = if w { Permission::Write } else { Permission::Read };
        let ra = a.on_tenant(tenant).with_permission(p).get_related_account_or_error();
        let rb = b.on_tenant(tenant).with_permission(p).get_related_account_or_error();
        prop_assert_eq!(ra, rb);
    }

    #[test]
    fn connection_strings_round_trip(
        aid in uuid(),
        edt in timestamp(),
        roles in option::of(vec(("[a-z][a-z0-9_-]{0,10}", permission()).prop_map(|(s, p)| ScopedRole::new(s, p)), 1..4)),
        tid in option::of(uuid()),
        sid in option::of(uuid()),
        url in option::of("https?://[a-z.]{1,12}/[a-z/]{0,8}"),
        secret in vec(any::<u8>(), 1..64),
        version in any::<u32>(),
    ) {
        let keys = HmacKeyring::new(version, [(version, secret)]).unwrap();
        let mut cs = ConnectionString::new(aid, edt);
        cs.roles = roles;
        cs.tenant_id = tid;
        cs.subscription_account_id = sid;
        cs.url = url;
        let header = cs.sign(&keys).unwrap();
        let before_expiry = edt.to_utc() - chrono::Duration::seconds(1);
        prop_assert_eq!(ConnectionString::verify_header(&header, &keys, before_expiry).unwrap(), cs);
    }

    #[test]
    fn decoders_never_panic_on_text(s in "\\PC{0,300}") {
        let _ = codec::decode(&s);
        let _ = ParsedConnectionString::parse(&s);
        let _ = ParsedConnectionString::parse_text(&s);
        let _ = LicensedResource::from_url(&s);
        let _ = TenantOwnership::from_url(&s);
        let _ = ProfileVerifier::new(std::time::Duration::from_secs(5))
            .verify(&s, "h", &RequestBinding { request_id: "r", method: "GET", path: "/" }, 0);
    }

    #[test]
    fn decoders_never_panic_on_bytes(bytes in vec(any::<u8>(), 0..600)) {
        let _ = codec::decode(&STANDARD.encode(&bytes));
        let mut framed = vec![0x28, 0xB5, 0x2F, 0xFD];
        framed.extend_from_slice(&bytes);
        let _ = codec::decode(&STANDARD.encode(&framed));
        let _ = codec::parse_profile(&bytes);
        let _ = ParsedConnectionString::parse(&STANDARD.encode(&bytes));
    }

    #[test]
    fn corrupted_headers_never_panic(p in profile(), pos in any::<usize>(), byte in any::<u8>()) {
        let header = codec::encode(&p).unwrap();
        let mut raw = STANDARD.decode(&header).unwrap();
        let i = pos % raw.len();
        raw[i] ^= byte | 1;
        let _ = codec::decode(&STANDARD.encode(&raw));
        raw.truncate(i);
        let _ = codec::decode(&STANDARD.encode(&raw));
    }
}
