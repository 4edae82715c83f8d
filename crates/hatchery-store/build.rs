//! `sqlx::migrate!` embeds the migration files at compile time but cannot tell cargo to
//! watch them, so without this a changed migration would not rebuild the crate.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
