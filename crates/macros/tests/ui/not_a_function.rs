#[greenery::test]
struct NotATest;

#[greenery::main]
const MAIN: u32 = 0;

fn main() {}
