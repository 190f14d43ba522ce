#[greenery::test(start_paused = 1, seed = "42", explore = -3)]
async fn wrong_types() {}

#[greenery::test(start_paused)]
async fn no_value() {}

#[greenery::test(explore = 2.5, pct_depth = 4294967296)]
async fn not_a_count() {}

fn main() {}
