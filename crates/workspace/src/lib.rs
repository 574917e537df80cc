//! switchboard-workspace
