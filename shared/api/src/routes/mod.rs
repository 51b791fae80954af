//! The routes: the JSON API, the pages, and the resident's public pages.

pub(crate) mod json;
pub(crate) mod pages;
pub(crate) mod public;
