use std::io::Write;

fn main() {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let code = diag_tool::run(std::env::args_os(), &mut stdout);
    let _ = stdout.flush();
    drop(stdout);
    std::process::exit(code.into());
}
