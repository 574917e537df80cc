//! switchboard-render
