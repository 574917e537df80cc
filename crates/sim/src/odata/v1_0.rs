//! Live Agent OData v1.0 in the shape of the platform's documentation from 2025.13 on
//! (`shared/reference/vendor-apis.md` §1.1, §1.5): compared with v1.1, Conversation has
//! `assigned_at` and `ended_at` instead of `contact_last_seen_at` and `identifier`, Label
//! lists its `conversation_ids`, User has `last_sign_out_at` and no credential columns,
//! Inbox has no email address or greeting, Message no `status`/`source_id`. ReportingEvent
//! is the same as in v1.1. v2.0 reuses these lists.

use std::sync::Arc;

use super::world_sets::{live_agent_sets, Columns, RecordOrders};
use super::{field, v1_1, Field, FieldType::*, Service};
use crate::world::World;

pub fn service(world: Arc<World>, orders: &RecordOrders) -> Service {
    Service {
        namespace: "LiveAgent",
        sets: live_agent_sets(&world, orders, &COLUMNS),
    }
}

pub(super) const COLUMNS: Columns = Columns {
    message: MESSAGE_FIELDS,
    conversation: CONVERSATION_FIELDS,
    inbox: INBOX_FIELDS,
    label: LABEL_FIELDS,
    user: USER_FIELDS,
    reporting_event: v1_1::EVENT_FIELDS,
};

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
    field("agent_last_seen_at", Time),
    field("additional_attributes", Json),
    field("contact_inbox_id", Int),
    field("uuid", Str),
    field("last_activity_at", Time),
    field("team_id", Int),
    field("snoozed_until", Time),
    field("custom_attributes", Json),
    field("assignee_last_seen_at", Time),
    field("cognigy_session_id", Str),
    field("assigned_at", Time),
    field("ended_at", Time),
];

pub(super) const INBOX_FIELDS: &[Field] = &[
    field("id", Int),
    field("channel_id", Int),
    field("name", Str),
    field("account_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
    field("channel_type", Str),
    field("enable_auto_assignment", Bool),
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
    field("conversation_ids", Json),
];

pub(super) const USER_FIELDS: &[Field] = &[
    field("id", Int),
    field("provider", Str),
    field("uid", Str),
    field("sign_in_count", Int),
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
    field("last_sign_out_at", Time),
];
