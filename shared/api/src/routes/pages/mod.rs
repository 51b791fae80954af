//! The staff pages and their components.

pub mod html;
pub(crate) mod staff;
