#[greenery::test(explore = 0)]
async fn no_schedules() {}

fn main() {}
