#[greenery::test(seed = 1, explore = 10, seed = 2)]
async fn twice() {}

fn main() {}
