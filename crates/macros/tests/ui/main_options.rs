#[greenery::main(seed = 7, flavor = "current_thread")]
async fn main() {}
