//! A group tracks greenlets added to it and waits until they are all done; a greenlet added
//! later is waited for by the next join. Port of `examples/gevent/group.py`.

use greenery::pool::Group;

async fn talk(msg: &'static str) {
    for _ in 0..3 {
        println!("{msg}");
    }
}

fn main() {
    greenery::run(async {
        let g1 = greenery::spawn(talk("bar"));
        let g2 = greenery::spawn(talk("foo"));
        let g3 = greenery::spawn(talk("fizz"));

        let group = Group::new();
        group.add(&g1);
        group.add(&g2);
        group.join().await;

        group.add(&g3);
        group.join().await;
    });
}
