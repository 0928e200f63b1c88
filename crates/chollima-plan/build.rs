//! Builds the one C++ shim of the crate (`cpp/square_basis.cpp`): HiGHS's C++ `setBasis` for a
//! basis known to be square, which the C interface of highs-sys cannot pass as such.

fn main() {
    println!("cargo:rerun-if-changed=cpp/square_basis.cpp");
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file("cpp/square_basis.cpp")
        .compile("chollima_square_basis");
}
