//! What the engine asks the data store for: the cache's own request types, so a request
//! built here goes to `Cache::read_frame` unchanged.

pub use switchboard_cache::{FrameRequest, TableInfo, TimeRange};
