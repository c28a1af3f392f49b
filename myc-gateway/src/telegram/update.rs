//! Who sent a Telegram update: the `from` (or `user`) of whichever update kind it carries.

use serde_json::Value;

/// Update kinds whose sender is `<kind>.from.id`.
const FROM_KINDS: [&str; 14] = [
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
];

/// Update kinds whose sender is `<kind>.user.id`.
const USER_KINDS: [&str; 3] = ["poll_answer", "message_reaction", "purchased_paid_media"];

/// The Telegram user id of an update's sender, if it has one.
///
/// ```
/// use myc_gateway::internal::telegram_sender_id as sender_id;
/// let update = serde_json::json!({"update_id": 1, "callback_query": {"id": "q", "from": {"id": 42}}});
/// assert_eq!(sender_id(&update), Some(42));
/// assert_eq!(sender_id(&serde_json::json!({"update_id": 2, "poll": {}})), None);
/// ```
pub fn sender_id(update: &Value) -> Option<i64> {
    FROM_KINDS
        .iter()
        .find_map(|kind| update.get(kind)?.get("from")?.get("id")?.as_i64())
        .or_else(|| {
            USER_KINDS
                .iter()
                .find_map(|kind| update.get(kind)?.get("user")?.get("id")?.as_i64())
        })
}
