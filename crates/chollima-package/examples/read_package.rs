//! Times reading (and optionally writing) a package: `cargo run --release --example read_package -- DIR [OUT]`.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: read_package DIR [OUT]");
    let start = Instant::now();
    match chollima_package::read(std::path::Path::new(&dir)) {
        Ok(loaded) => {
            let e = &loaded.economy;
            println!(
                "read {} products, {} techniques, {} nonzeros in {:.3} s",
                e.products.len(),
                e.techniques.len(),
                e.inputs.nnz(),
                start.elapsed().as_secs_f64()
            );
            if let Some(out) = args.next() {
                let start = Instant::now();
                chollima_package::write(e, std::path::Path::new(&out)).expect("write");
                println!("wrote in {:.3} s", start.elapsed().as_secs_f64());
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
