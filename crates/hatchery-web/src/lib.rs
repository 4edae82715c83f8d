//! hatchery-web
