//! switchboard-cache
