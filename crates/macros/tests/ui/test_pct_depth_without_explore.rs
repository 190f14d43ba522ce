#[greenery::test(pct_depth = 2)]
async fn depth_alone() {}

fn main() {}
