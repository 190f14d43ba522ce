//! 10,000 short connections through a `StreamServer` with a pool of 100 handlers, and no file
//! descriptor left open afterwards. Alone in its binary, so that no other test opens or closes
//! descriptors while it counts them (`cargo test` runs a binary's tests on parallel threads).
#![cfg(target_os = "linux")]

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use greenery_net::{StreamServer, TcpStream};
use greenery_pool::Pool;
use greenery_runtime::run;

const CONNECTIONS: u32 = 10_000;
const HANDLERS: usize = 100;
/// More clients than handlers: the pool fills, and the server pauses its accepting.
const CLIENTS: usize = 150;

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// One short connection: a 4-byte request, the same 4 bytes back, then both sides close.
async fn exchange(addr: SocketAddr, n: u32) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&n.to_le_bytes()).await.unwrap();
    let mut back = [0u8; 4];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(u32::from_le_bytes(back), n);
}

#[test]
fn ten_thousand_short_connections_leave_no_descriptor_open() {
    run(async {
        let (running, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let served = Rc::new(Cell::new(0u32));
        let handler = {
            let (running, most, served) = (running.clone(), most.clone(), served.clone());
            move |mut stream: TcpStream, _| {
                let (running, most, served) = (running.clone(), most.clone(), served.clone());
                async move {
                    running.set(running.get() + 1);
                    most.set(most.get().max(running.get()));
                    let mut request = [0u8; 4];
                    if stream.read_exact(&mut request).await.is_ok()
                        && stream.write_all(&request).await.is_ok()
                    {
                        served.set(served.get() + 1);
                    }
                    running.set(running.get() - 1);
                }
            }
        };

        // The reactor's own descriptors exist once a socket has been used.
        let warm_up = StreamServer::bind("127.0.0.1:0", handler.clone())
            .await
            .unwrap();
        warm_up.start().unwrap();
        exchange(warm_up.local_addr().unwrap(), 0).await;
        warm_up.stop(None).await;
        drop(warm_up);
        served.set(0);
        let before = open_descriptors();

        let server = StreamServer::bind("127.0.0.1:0", handler)
            .await
            .unwrap()
            .with_spawn(HANDLERS);
        server.start().unwrap();
        let addr = server.local_addr().unwrap();
        let clients = Pool::new(CLIENTS);
        clients
            .map(move |n| exchange(addr, n), 0..CONNECTIONS)
            .await
            .unwrap();
        server.stop(None).await;
        assert_eq!(served.get(), CONNECTIONS);
        assert!(
            (2..=HANDLERS).contains(&most.get()),
            "{} handlers at once",
            most.get()
        );
        assert!(server.handlers().is_empty());
        drop(server);
        assert_eq!(open_descriptors(), before);
    });
}
