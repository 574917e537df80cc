//! Live Agent OData v1.1 (Live Agent 2025.18+, "rollback to pre-1.0 fields"): the six
//! collections with the field lists of the platform's documentation
//! (`shared/reference/vendor-apis.md` §1.5), filled from the world by [`super::world_sets`].

use std::sync::Arc;

use super::world_sets::{live_agent_sets, Columns, RecordOrders};
use super::{field, Field, FieldType::*, Service};
use crate::world::World;

pub fn service(world: Arc<World>, orders: &RecordOrders) -> Service {
    Service {
        namespace: "LiveAgent",
        sets: live_agent_sets(
            &world,
            orders,
            &Columns {
                message: MESSAGE_FIELDS,
                conversation: CONVERSATION_FIELDS,
                inbox: INBOX_FIELDS,
                label: LABEL_FIELDS,
                user: USER_FIELDS,
                reporting_event: EVENT_FIELDS,
            },
        ),
    }
}

pub(super) const MESSAGE_FIELDS: &[Field] = &[
    field("id", Int),
    field("content", Str),
    field("account_id", Int),
    field("inbox_id", Int),
    field("conversation_id", Int),
    field("message_type", Int),
    field("created_at", Time),
    field("updated_at", Time),
    field("private", Bool),
    field("status", Int),
    field("source_id", Str),
    field("content_type", Int),
    field("content_attributes", Json),
    field("sender_type", Str),
    field("sender_id", Int),
];

pub(super) const CONVERSATION_FIELDS: &[Field] = &[
    field("id", Int),
    field("account_id", Int),
    field("inbox_id", Int),
    field("status", Int),
    field("assignee_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
    field("contact_id", Int),
    field("display_id", Int),
    field("contact_last_seen_at", Time),
    field("agent_last_seen_at", Time),
    field("additional_attributes", Json),
    field("contact_inbox_id", Int),
    field("uuid", Str),
    field("identifier", Str),
    field("last_activity_at", Time),
    field("team_id", Int),
    field("snoozed_until", Time),
    field("custom_attributes", Json),
    field("assignee_last_seen_at", Time),
    field("cognigy_session_id", Str),
];

pub(super) const EVENT_FIELDS: &[Field] = &[
    field("id", Int),
    field("event_start_time", Time),
    field("event_end_time", Time),
    field("name", Str),
    field("value", Float),
    field("created_at", Time),
    field("updated_at", Time),
    field("account_id", Int),
    field("conversation_id", Int),
    field("inbox_id", Int),
    field("user_id", Int),
];

pub(super) const INBOX_FIELDS: &[Field] = &[
    field("id", Int),
    field("channel_id", Int),
    field("name", Str),
    field("email_address", Str),
    field("account_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
    field("channel_type", Str),
    field("enable_auto_assignment", Bool),
    field("greeting_enabled", Bool),
    field("greeting_message", Str),
    field("working_hours_enabled", Bool),
    field("out_of_office_message", Bool),
    field("timezone", Str),
    field("enable_email_collect", Bool),
    field("csat_survey_enabled", Bool),
    field("cognigy_organization_id", Str),
    field("cognigy_project_id", Str),
    field("enable_auto_reassignment", Bool),
    field("conversation_show_all", Bool),
];

pub(super) const LABEL_FIELDS: &[Field] = &[
    field("id", Int),
    field("title", Str),
    field("description", Str),
    field("color", Str),
    field("show_on_sidebar", Bool),
    field("account_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
];

pub(super) const USER_FIELDS: &[Field] = &[
    field("id", Int),
    field("provider", Str),
    field("uid", Str),
    field("encrypted_password", Str),
    field("reset_password_token", Str),
    field("reset_password_send_at", Time),
    field("remember_created_at", Time),
    field("sign_in_count", Int),
    field("current_sign_in_ip", Str),
    field("last_sign_in_ip", Str),
    field("confirmation_token", Str),
    field("confirmed_at", Time),
    field("confirmation_sent_at", Time),
    field("unconfirmed_email", Str),
    field("name", Str),
    field("display_name", Str),
    field("email", Str),
    field("tokens", Json),
    field("created_at", Time),
    field("updated_at", Time),
    field("pubsub_token", Str),
    field("availability", Int),
    field("ui_settings", Json),
    field("custom_attributes", Json),
    field("cognigy_user_id", Str),
    field("current_sign_in_at", Time),
    field("last_sign_in_at", Time),
];
