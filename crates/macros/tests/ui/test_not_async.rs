#[greenery::test]
fn plain() {}

fn main() {}
