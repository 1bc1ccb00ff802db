fn main() {
    std::process::exit(rig::cli::main());
}
