fn main() {
    println!("diag_tool");
}
