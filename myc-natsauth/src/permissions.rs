//! Permission presets: exactly the subjects each role needs, no `$JS.API.>` shortcuts.
//!
//! Combine presets with [`Grants::and`], then [`Grants::apply`] them to a user (or a scoped
//! key's template). `inbox` is the client's inbox prefix pattern, `_INBOX.>` by default.
//!
//! ```
//! use myc_natsauth::permissions::{self, Grants};
//! use myc_natsauth::claims::UserPermissionLimits;
//!
//! let agent = permissions::kv_read("agents", permissions::INBOX)
//!     .and(permissions::kv_write("agents"))
//!     .and(permissions::kv_watch("agents"));
//! let mut limits = UserPermissionLimits::default();
//! agent.apply(&mut limits);
//! assert!(limits.permissions.publish.allow.contains(&"$KV.agents.>".to_owned()));
//! assert!(!limits.permissions.publish.allow.iter().any(|s| s == "$JS.API.>"));
//! ```

use crate::claims::{ResponsePermission, UserPermissionLimits};

/// The default client inbox pattern.
pub const INBOX: &str = "_INBOX.>";

/// Subjects to allow for publishing and subscribing, and whether replies are allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Publish allow list.
    pub publish: Vec<String>,
    /// Subscribe allow list.
    pub subscribe: Vec<String>,
    /// Reply permission for responders.
    pub responses: Option<ResponsePermission>,
}

fn push_unique(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

impl Grants {
    fn new<P, S>(publish: P, subscribe: S) -> Self
    where
        P: IntoIterator<Item = String>,
        S: IntoIterator<Item = String>,
    {
        let mut g = Self::default();
        push_unique(&mut g.publish, publish);
        push_unique(&mut g.subscribe, subscribe);
        g
    }

    /// The union of two grants.
    pub fn and(mut self, other: Grants) -> Self {
        push_unique(&mut self.publish, other.publish);
        push_unique(&mut self.subscribe, other.subscribe);
        self.responses = match (self.responses, other.responses) {
            (Some(a), Some(b)) => Some(ResponsePermission {
                max: a.max.max(b.max),
                ttl: a.ttl.max(b.ttl),
            }),
            (a, b) => a.or(b),
        };
        self
    }

    /// Adds the grants to `limits`' allow lists.
    pub fn apply(self, limits: &mut UserPermissionLimits) {
        push_unique(&mut limits.permissions.publish.allow, self.publish);
        push_unique(&mut limits.permissions.subscribe.allow, self.subscribe);
        if self.responses.is_some() {
            limits.permissions.response = self.responses;
        }
    }

    /// Prefixes every subject except the inbox with `plane.` (Microbus-style isolation of
    /// deployments sharing one account). A plane must be a single literal token.
    pub fn on_plane(self, plane: &str) -> Self {
        let prefix = |s: String| {
            if s.starts_with("_INBOX") || s.starts_with('$') {
                s
            } else {
                format!("{plane}.{s}")
            }
        };
        Self {
            publish: self.publish.into_iter().map(prefix).collect(),
            subscribe: self.subscribe.into_iter().map(prefix).collect(),
            responses: self.responses,
        }
    }
}

fn js(api: &str) -> String {
    format!("$JS.API.{api}")
}

/// Bind to and read bucket `bucket`: stream info, direct get (by key and by revision) and the
/// message-get fallback for buckets without direct access.
pub fn kv_read(bucket: &str, inbox: &str) -> Grants {
    let stream = format!("KV_{bucket}");
    Grants::new(
        [
            js(&format!("STREAM.INFO.{stream}")),
            js(&format!("DIRECT.GET.{stream}")),
            js(&format!("DIRECT.GET.{stream}.$KV.{bucket}.>")),
            js(&format!("STREAM.MSG.GET.{stream}")),
        ],
        [inbox.to_owned()],
    )
}

/// Write to bucket `bucket` (put, update, delete, purge: publishes on `$KV.<bucket>.>`, the
/// acknowledgement arrives on the inbox). `create` also needs [`kv_read`].
pub fn kv_write(bucket: &str) -> Grants {
    Grants::new(
        [
            js(&format!("STREAM.INFO.KV_{bucket}")),
            format!("$KV.{bucket}.>"),
        ],
        [INBOX.to_owned()],
    )
}

/// Watch bucket `bucket` (watch, keys, history): consumer creation in the short and named
/// forms, its deletion, and flow-control replies.
pub fn kv_watch(bucket: &str) -> Grants {
    let stream = format!("KV_{bucket}");
    Grants::new(
        [
            js(&format!("STREAM.INFO.{stream}")),
            js(&format!("CONSUMER.CREATE.{stream}")),
            js(&format!("CONSUMER.CREATE.{stream}.>")),
            js(&format!("CONSUMER.DELETE.{stream}.*")),
            format!("$JS.FC.{stream}.>"),
        ],
        [INBOX.to_owned()],
    )
}

/// Create, update and delete bucket `bucket`.
pub fn kv_admin(bucket: &str) -> Grants {
    let stream = format!("KV_{bucket}");
    Grants::new(
        [
            js("INFO"),
            js(&format!("STREAM.CREATE.{stream}")),
            js(&format!("STREAM.UPDATE.{stream}")),
            js(&format!("STREAM.DELETE.{stream}")),
            js(&format!("STREAM.INFO.{stream}")),
        ],
        [INBOX.to_owned()],
    )
}

/// Manage stream `stream` (create, update, delete, info, purge, message get/delete, listing).
pub fn stream_admin(stream: &str) -> Grants {
    let mut publish: Vec<String> = [
        "CREATE",
        "UPDATE",
        "DELETE",
        "INFO",
        "PURGE",
        "MSG.GET",
        "MSG.DELETE",
    ]
    .iter()
    .map(|op| js(&format!("STREAM.{op}.{stream}")))
    .collect();
    publish.extend([js("INFO"), js("STREAM.NAMES"), js("STREAM.LIST")]);
    Grants::new(publish, [INBOX.to_owned()])
}

/// Manage and consume from consumers of `stream` (create in every form, info, delete, pull
/// next, listing, acknowledgements and flow control).
pub fn consumer_admin(stream: &str) -> Grants {
    Grants::new(
        [
            js(&format!("CONSUMER.CREATE.{stream}")),
            js(&format!("CONSUMER.CREATE.{stream}.>")),
            js(&format!("CONSUMER.DURABLE.CREATE.{stream}.*")),
            js(&format!("CONSUMER.INFO.{stream}.*")),
            js(&format!("CONSUMER.DELETE.{stream}.*")),
            js(&format!("CONSUMER.MSG.NEXT.{stream}.*")),
            js(&format!("CONSUMER.NAMES.{stream}")),
            js(&format!("CONSUMER.LIST.{stream}")),
            format!("$JS.ACK.{stream}.>"),
            format!("$JS.FC.{stream}.>"),
        ],
        [INBOX.to_owned()],
    )
}

/// Send requests to `subject` and receive replies on the inbox.
pub fn service_requester(subject: &str, inbox: &str) -> Grants {
    Grants::new([subject.to_owned()], [inbox.to_owned()])
}

/// Serve requests on `subject` (optionally in a queue group) and answer each with one reply,
/// without any publish permission (`allow_responses`).
pub fn service_responder(subject: &str, queue: Option<&str>) -> Grants {
    let sub = match queue {
        Some(q) => format!("{subject} {q}"),
        None => subject.to_owned(),
    };
    Grants {
        responses: Some(ResponsePermission { max: 1, ttl: 0 }),
        ..Grants::new([], [sub])
    }
}

/// Publish on `subject`.
pub fn stream_publisher(subject: &str) -> Grants {
    Grants::new([subject.to_owned()], [])
}

/// Subscribe to `subject`.
pub fn stream_subscriber(subject: &str) -> Grants {
    Grants::new([], [subject.to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_subjects() {
        let r = kv_read("B", INBOX);
        assert_eq!(
            r.publish,
            [
                "$JS.API.STREAM.INFO.KV_B",
                "$JS.API.DIRECT.GET.KV_B",
                "$JS.API.DIRECT.GET.KV_B.$KV.B.>",
                "$JS.API.STREAM.MSG.GET.KV_B"
            ]
        );
        assert_eq!(r.subscribe, ["_INBOX.>"]);
        let responder = service_responder("mycelium.>", Some("gateways"));
        assert_eq!(responder.subscribe, ["mycelium.> gateways"]);
        assert!(responder.publish.is_empty() && responder.responses.is_some());
        let planed = service_requester("svc.x", INBOX).on_plane("prod");
        assert_eq!(
            (planed.publish[0].as_str(), planed.subscribe[0].as_str()),
            ("prod.svc.x", "_INBOX.>")
        );
        for g in [
            kv_write("B"),
            kv_watch("B"),
            kv_admin("B"),
            stream_admin("S"),
            consumer_admin("S"),
        ] {
            assert!(
                g.publish.iter().all(|s| crate::validate::is_subject(s)),
                "{g:?}"
            );
            assert!(!g.publish.iter().any(|s| s == "$JS.API.>"));
        }
    }
}
