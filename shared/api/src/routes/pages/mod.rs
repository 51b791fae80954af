//! The staff pages and their components. A page is a view (from `crate::views`, read from the
//! Service) rendered through its template under `templates/` (see docs/pages.md).

mod cases;
pub mod html;
mod layout;
pub(crate) mod staff;
mod urgency;

pub(crate) use cases::cases_page;
