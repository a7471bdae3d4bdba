//! The `loglift` binary.

fn main() -> std::process::ExitCode {
    loglift::cli::main()
}
