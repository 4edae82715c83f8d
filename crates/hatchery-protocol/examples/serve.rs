//! Serve a directory of bare repositories over smart HTTP with the test adapter, for manual
//! testing and measurements: `cargo run --release -p hatchery-protocol --example serve -- DIR`.
//! Repositories are `DIR/<name>.git`; the address is printed on stdout.

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: serve DIR");
        std::process::exit(2);
    };
    let server = common::TestServer::start_with(|s| s.root = root.into());
    #[allow(clippy::print_stdout)]
    {
        println!("http://{}", server.addr);
    }
    loop {
        std::thread::park();
    }
}
