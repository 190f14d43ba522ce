//! An echo server on every core: `StreamServer::serve_on` runs a `StreamServer` on each hub of
//! a `Hubs` (one hub per core), all accepting on one listening socket on 127.0.0.1, port 0.
//! Six client greenlets on the main thread's hub connect, send lines and read the echo of
//! each. The main greenlet prints each client's exchange after joining it, in spawn order,
//! then stops the servers and prints the totals, which the handlers of every hub count
//! together: the output depends neither on timing nor on which hub served which connection
//! (which is not printed).
//!
//! Port of `examples/gevent/echo_every_core.py`, whose gevent runs one `StreamServer` in one
//! process; the stdout matches gevent's, line for line
//! (`examples/expected/echo_every_core.out`).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenery::Hubs;
use greenery::io::BufReader;
use greenery::net::{StreamServer, TcpStream, create_connection};
use greenery::prelude::*;

/// What the handlers of every hub count together.
#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    lines: AtomicUsize,
}

/// `echo(sock, address)`: sends every line back until the client closes.
async fn echo(stream: TcpStream, counts: Arc<Counts>) -> io::Result<()> {
    counts.connections.fetch_add(1, Ordering::Relaxed);
    let mut rfile = BufReader::new(stream.clone());
    let mut sock = stream;
    let mut line = Vec::new();
    while rfile.read_until(b'\n', &mut line).await? > 0 {
        counts.lines.fetch_add(1, Ordering::Relaxed);
        sock.write_all(&line).await?;
        line.clear();
    }
    Ok(())
}

/// Sends each line, prefixed with `name`, and reads its echo.
async fn client(address: SocketAddr, name: &str, lines: &[&str]) -> io::Result<Vec<String>> {
    let stream = create_connection(address, Some(Duration::from_secs(5))).await?;
    let mut rfile = BufReader::new(stream.clone());
    let mut sock = stream;
    let mut replies = Vec::new();
    for line in lines {
        sock.write_all(format!("{name}: {line}\n").as_bytes())
            .await?;
        let mut reply = String::new();
        rfile.read_line(&mut reply).await?;
        replies.push(reply.trim_end_matches('\n').to_owned());
    }
    Ok(replies)
}

fn main() -> io::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let hubs = Hubs::new(cores);
    let counts = Arc::new(Counts::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let server = StreamServer::serve_on(&hubs, listener, {
        let counts = counts.clone();
        move |listener| {
            let counts = counts.clone();
            StreamServer::new(listener, move |stream, _address| {
                echo(stream, counts.clone())
            })
        }
    })?;
    println!("serving on every core");

    greenery::run(async {
        let scripts: [(&str, &[&str]); 6] = [
            ("alice", &["hello", "how are you?"]),
            ("bob", &["hi"]),
            ("carol", &["one", "two", "three"]),
            ("dave", &["ping"]),
            ("erin", &["a", "b"]),
            ("frank", &["last one"]),
        ];
        let address = server.local_addr();
        let clients: Vec<_> = scripts
            .iter()
            .map(|&(name, lines)| greenery::spawn(client(address, name, lines)))
            .collect();
        for (&(name, lines), greenlet) in scripts.iter().zip(&clients) {
            greenlet.join().await;
            let replies = greenlet.take().expect("the client finished")?;
            for (sent, echoed) in lines.iter().zip(replies) {
                println!("{name} sent '{sent}', read back '{echoed}'");
            }
        }
        server.stop(None).await;
        server.serve_forever().await
    })?;
    println!(
        "server stopped: {} connections served, {} lines echoed",
        counts.connections.load(Ordering::Relaxed),
        counts.lines.load(Ordering::Relaxed)
    );
    hubs.shutdown();
    Ok(())
}
