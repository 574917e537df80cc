//! switchboard-sim
