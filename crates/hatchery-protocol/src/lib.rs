//! hatchery-protocol
