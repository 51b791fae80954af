//! What every route shares about HTTP: bodies and their limits, extractors, problem answers and
//! rate limits.

pub mod body;
pub(crate) mod compare;
pub(crate) mod cookies;
pub mod csp;
pub(crate) mod csrf;
pub(crate) mod download;
pub mod extract;
pub(crate) mod inbox_forms;
pub mod limit;
pub mod multipart;
pub mod problem;
pub(crate) mod random;
pub(crate) mod replay;
