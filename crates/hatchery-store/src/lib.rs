//! hatchery-store
