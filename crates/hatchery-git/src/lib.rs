//! hatchery-git
