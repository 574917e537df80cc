//! The shared vocabulary of Switchboard: the canonical contact-center schema every platform
//! maps into, the report spec the engine compiles, the template file format, the types that
//! cross the desktop app's IPC boundary, and the stable error codes.
//!
//! It is a leaf crate with no I/O so that every other crate (and the TypeScript UI, through
//! the generated bindings in `ui/src/backend/types.ts`) agrees on one definition of each.

pub mod canonical;
pub mod error;
pub mod ipc;
pub mod period;
pub mod spec;
pub mod template;

pub use error::{AppError, ErrorCode};
