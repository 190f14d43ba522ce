#[greenery::test(explore = 10, pct_depth = 0)]
async fn no_depth() {}

fn main() {}
