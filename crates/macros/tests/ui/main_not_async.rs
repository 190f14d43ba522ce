#[greenery::main]
fn main() {}
