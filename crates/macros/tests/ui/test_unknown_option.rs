#[greenery::test(explor = 10)]
async fn typo() {}

fn main() {}
