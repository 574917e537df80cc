//! Live Agent OData v2.0 (Live Agent 2025.25+): the v1.0 shapes (the platform says "the
//! changes introduced in 1.1 were rolled back") plus `Conversation.priority`, and the new
//! collections `Team` and `AgentAvailabilityRecord`, whose fields no public document lists
//! — see "Assumptions" in the `odata` module docs.

use std::sync::Arc;

use super::world_sets::{live_agent_sets, AvailabilitySet, Columns, RecordOrders, TeamSet};
use super::{field, v1_0, Field, FieldType::*, IndexedSet, Service};
use crate::world::World;

pub fn service(world: Arc<World>, orders: &RecordOrders) -> Service {
    let mut sets = live_agent_sets(
        &world,
        orders,
        &Columns {
            conversation: CONVERSATION_FIELDS,
            ..v1_0::COLUMNS
        },
    );
    sets.push(IndexedSet::new(Box::new(TeamSet {
        fields: TEAM_FIELDS,
        world: world.clone(),
    })));
    sets.push(IndexedSet::new(Box::new(AvailabilitySet::new(
        &world,
        AVAILABILITY_FIELDS,
    ))));
    Service {
        namespace: "LiveAgent",
        sets,
    }
}

const CONVERSATION_FIELDS: &[Field] = &[
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
    field("priority", Int),
];

const TEAM_FIELDS: &[Field] = &[
    field("id", Int),
    field("name", Str),
    field("description", Str),
    field("allow_auto_assign", Bool),
    field("account_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
];

const AVAILABILITY_FIELDS: &[Field] = &[
    field("id", Int),
    field("user_id", Int),
    field("availability", Int),
    field("started_at", Time),
    field("ended_at", Time),
    field("account_id", Int),
    field("created_at", Time),
    field("updated_at", Time),
];

#[cfg(test)]
mod tests {
    use super::super::v1_1;
    use super::*;

    /// v2.0's Conversation is exactly v1.0's plus `priority`.
    #[test]
    fn conversation_is_v1_0_plus_priority() {
        let names = |f: &[Field]| f.iter().map(|f| f.name).collect::<Vec<_>>();
        let mut expected = names(v1_0::CONVERSATION_FIELDS);
        expected.push("priority");
        assert_eq!(names(CONVERSATION_FIELDS), expected);
        assert_eq!(
            names(v1_1::EVENT_FIELDS),
            names(v1_0::COLUMNS.reporting_event)
        );
    }
}
