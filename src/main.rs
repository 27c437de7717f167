//! The `wb` command: a thin shell over the `wb` library.

mod cli;

fn main() {
    let code = cli::main();
    std::process::exit(code);
}
