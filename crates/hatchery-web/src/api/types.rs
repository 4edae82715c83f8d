//! The API's JSON objects live in `hatchery-api-types`, shared with the webhook payloads
//! the service layer builds.

pub use hatchery_api_types::*;
