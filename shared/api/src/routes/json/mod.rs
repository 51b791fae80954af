//! The JSON API's routes.

pub(crate) mod staff;
