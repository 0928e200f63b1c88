//! Micro-benchmark of id lookups against std's HashMap:
//! `cargo run --release -p chollima-model --example idlist_bench`.
fn main() {
    let n = 1_000_000;
    let t = std::time::Instant::now();
    let mut ids = chollima_model::IdList::with_capacity(n);
    for i in 0..n {
        ids.insert(format!("p{i}")).unwrap();
    }
    println!("insert {:.3}", t.elapsed().as_secs_f64());
    let queries: Vec<String> = (0..10_000_000u64)
        .map(|i| format!("p{}", (i * 2654435761) % n as u64))
        .collect();
    let t = std::time::Instant::now();
    let mut s = 0u64;
    for q in &queries {
        s += ids.get(q).unwrap() as u64;
    }
    println!("10M gets {:.3} ({s})", t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let mut map = std::collections::HashMap::with_capacity(n);
    for i in 0..n {
        map.insert(format!("p{i}"), i as u32);
    }
    println!("std insert {:.3}", t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    let mut s = 0u64;
    for q in &queries {
        s += map[q.as_str()] as u64;
    }
    println!("std 10M gets {:.3} ({s})", t.elapsed().as_secs_f64());
}
