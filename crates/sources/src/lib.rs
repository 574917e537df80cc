//! switchboard-sources
