//! Merge the packs of a bare repository: `cargo run --release -p hatchery-git --example consolidate -- REPO.git`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: consolidate REPO.git");
        std::process::exit(2);
    };
    let repo = match hatchery_git::Repository::open(std::path::Path::new(&path)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let start = std::time::Instant::now();
    match repo.consolidate_packs(&hatchery_git::ConsolidateOptions::default()) {
        Ok(outcome) => eprintln!("{outcome:?} in {:?}", start.elapsed()),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
