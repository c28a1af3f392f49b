//! The public methods as the admin API's method table describes them.

use serde_json::{Value, json};

use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, optional, required, rest, schema};

fn login_answer() -> Value {
    json!({
        "type": "object",
        "description": "upstream's MyceliumLoginResponse: the token and the user, flattened",
        "required": ["token", "duration", "totpRequired", "email", "username", "mfa"],
    })
}
fn created() -> Value {
    schema::object(&["message"])
}
fn totp_url() -> Value {
    schema::object(&["totpUrl"])
}
fn finished() -> Value {
    schema::object(&["finished"])
}

const EMAIL_TOKEN: &[ParamSpec] = &[
    required("email", schema::email),
    required("token", schema::string),
];
const CODE: &[ParamSpec] = &[required("token", schema::string)];

/// The methods answered without authentication (upstream's names), with the REST paths
/// [`crate::login::rest`] serves. They appear in `rpc.discover` when the admin API is built with
/// [`crate::rpc::Api::with_public_methods`]. The TOTP methods take the caller's bearer token.
pub const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "beginners.users.create",
        summary: "Register a password credential; an activation code is mailed",
        params: &[
            required("email", schema::email),
            required("password", schema::string),
            optional("firstName", schema::string),
            optional("lastName", schema::string),
        ],
        result: created,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users", Success::Created),
    },
    MethodSpec {
        name: "beginners.users.checkTokenAndActivateUser",
        summary: "Activate a password credential with its mailed code",
        params: EMAIL_TOKEN,
        result: schema::boolean,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/beginners/users/validate-activation-token",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.startPasswordRedefinition",
        summary: "Mail a password reset code (the same answer for unknown addresses)",
        params: &[required("email", schema::email)],
        result: schema::boolean,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/beginners/users/start-password-reset",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.checkTokenAndResetPassword",
        summary: "Set a new password with the mailed reset code",
        params: &[
            required("email", schema::email),
            required("token", schema::string),
            required("newPassword", schema::string),
        ],
        result: schema::boolean,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users/reset-password", Success::Ok),
    },
    MethodSpec {
        name: "beginners.users.checkEmailPasswordValidity",
        summary: "Log in with e-mail and password",
        params: &[
            required("email", schema::email),
            required("password", schema::string),
        ],
        result: login_answer,
        effect: Effect::Read,
        rest: rest("POST", "/_adm/beginners/users/login", Success::Ok),
    },
    MethodSpec {
        name: "beginners.users.totpStartActivation",
        summary: "Begin TOTP enrolment: the otpauth URL (bearer: a complete login)",
        params: &[],
        result: totp_url,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users/totp/enable", Success::Ok),
    },
    MethodSpec {
        name: "beginners.users.totpFinishActivation",
        summary: "Confirm TOTP enrolment with a first code (bearer: a complete login)",
        params: CODE,
        result: finished,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/beginners/users/totp/validate-app",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.totpCheckToken",
        summary: "Complete a login awaiting its TOTP code (bearer: the pending token)",
        params: CODE,
        result: login_answer,
        effect: Effect::Read,
        rest: rest(
            "POST",
            "/_adm/beginners/users/totp/check-token",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.totpDisable",
        summary: "Remove the TOTP factor with a valid code (bearer: a complete login)",
        params: CODE,
        result: schema::null,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users/totp/disable", Success::Ok),
    },
];
