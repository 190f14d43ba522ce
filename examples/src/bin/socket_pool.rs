//! The seed's `SocketPool` made real: a loopback TCP echo server whose connection handlers run
//! in a `Pool` of two, refusing connections while the pool is full (`try_spawn`, the seed's
//! `if self.pool.full(): raise`), with clients in the same program, and a shutdown that kills
//! every handler.
//!
//! Every line is printed after the event that causes it (a reply, a closed connection, a free
//! slot), so the output is the same on every run.

use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};

use async_io::Async;
use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use greenery::pool::Pool;

/// The seed's `SocketPool`: handlers for accepted sockets, at most `size` at a time.
struct SocketPool {
    pool: Pool,
}

impl SocketPool {
    fn new(size: usize) -> SocketPool {
        SocketPool {
            pool: Pool::new(size),
        }
    }

    /// Echoes every line until the client leaves.
    async fn listen(id: usize, socket: Async<TcpStream>) {
        let mut reader = BufReader::new(&socket);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let reply = format!("echo: {line}");
                    if (&socket).write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            }
        }
        println!("server: client {id} left, its handler ends");
    }

    /// Starts a handler for `socket`, or refuses it (closing it) when the pool is full.
    fn add_handler(&self, id: usize, socket: Async<TcpStream>) {
        match self.pool.try_spawn(Self::listen(id, socket)) {
            Ok(_) => println!(
                "server: client {id} accepted ({} of {} handlers busy)",
                self.pool.len(),
                self.pool.size()
            ),
            Err(full) => {
                println!("server: client {id} refused: at maximum pool size");
                // Dropping the handler closes its socket.
                drop(full.into_inner());
            }
        }
    }

    /// Kills every handler (their sockets close).
    async fn shutdown(&self) {
        let busy = self.pool.len();
        self.pool.kill().await;
        println!("server: shutdown killed {busy} handlers");
    }
}

struct Client {
    id: usize,
    stream: BufReader<Async<TcpStream>>,
}

impl Client {
    async fn connect(id: usize, port: u16) -> io::Result<Client> {
        let stream = Async::<TcpStream>::connect((Ipv4Addr::LOCALHOST, port)).await?;
        Ok(Client {
            id,
            stream: BufReader::new(stream),
        })
    }

    /// Sends a line and prints the reply, or that the server closed the connection.
    async fn say(&mut self, text: &str) -> io::Result<()> {
        // A refused client may find its socket closed while writing.
        let _ = self
            .stream
            .get_mut()
            .write_all(format!("{text}\n").as_bytes())
            .await;
        self.expect_reply().await
    }

    async fn expect_reply(&mut self) -> io::Result<()> {
        let mut line = String::new();
        let read = match self.stream.read_line(&mut line).await {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => 0,
            Err(e) => return Err(e),
        };
        if read == 0 {
            println!("client {}: connection closed by the server", self.id);
        } else {
            println!("client {}: got {:?}", self.id, line.trim_end());
        }
        Ok(())
    }

    async fn expect_closed(&mut self) -> io::Result<()> {
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest).await?;
        println!("client {}: connection closed by the server", self.id);
        Ok(())
    }
}

fn main() -> io::Result<()> {
    greenery::run(async {
        let listener = Async::<TcpListener>::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.get_ref().local_addr()?.port();
        let server = std::rc::Rc::new(SocketPool::new(2));

        let accepting = server.clone();
        let acceptor = greenery::spawn(async move {
            for id in 1.. {
                let Ok((socket, _)) = listener.accept().await else {
                    break;
                };
                accepting.add_handler(id, socket);
            }
        });

        let mut client1 = Client::connect(1, port).await?;
        client1.say("hello from 1").await?;
        let mut client2 = Client::connect(2, port).await?;
        client2.say("hello from 2").await?;

        // Both handlers are busy: the third client is refused.
        let mut client3 = Client::connect(3, port).await?;
        client3.say("hello from 3").await?;

        // The first client leaves; its handler ends and frees a slot for a fourth client.
        drop(client1);
        let free = server.pool.wait_available().await;
        println!("main: {free} handler slot free again");
        let mut client4 = Client::connect(4, port).await?;
        client4.say("hello from 4").await?;

        server.shutdown().await;
        client2.expect_closed().await?;
        client4.expect_closed().await?;
        acceptor.kill().await;
        println!("main: done");
        Ok(())
    })
}
