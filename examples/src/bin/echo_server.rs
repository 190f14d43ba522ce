//! A `StreamServer` echo server on 127.0.0.1, port 0, whose handlers run in a pool of two,
//! and three client greenlets in the same program that connect, send lines and read the echo
//! of each. The main greenlet prints each client's exchange after joining it, in spawn order,
//! so the output does not depend on timing; then it stops the server.
//!
//! Port of `examples/gevent/echo_server.py`; its stdout matches gevent's, line for line
//! (`examples/expected/echo_server.out`).

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use greenery::io::BufReader;
use greenery::net::{StreamServer, TcpStream, create_connection};
use greenery::prelude::*;

/// `echo(sock, address)`: sends every line back until the client closes.
async fn echo(stream: TcpStream) -> io::Result<()> {
    let mut rfile = BufReader::new(stream.clone());
    let mut sock = stream;
    let mut line = Vec::new();
    while rfile.read_until(b'\n', &mut line).await? > 0 {
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
    Ok(replies) // the socket closes when `rfile` and `sock` are dropped
}

fn main() -> io::Result<()> {
    greenery::run(async {
        let served = Rc::new(Cell::new(0));
        let server = StreamServer::bind("127.0.0.1:0", {
            let served = served.clone();
            move |stream, _address| {
                served.set(served.get() + 1);
                echo(stream)
            }
        })
        .await?
        .with_spawn(2);
        server.start()?;
        println!("server started: {}", python_bool(server.started()));

        let scripts: [(&str, &[&str]); 3] = [
            ("alice", &["hello", "how are you?"]),
            ("bob", &["hi"]),
            ("carol", &["one", "two", "three"]),
        ];
        let address = server.local_addr()?;
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
        println!(
            "server stopped: closed={}, {} connections served",
            python_bool(server.closed()),
            served.get()
        );
        Ok(())
    })
}

/// How Python prints a bool.
fn python_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
