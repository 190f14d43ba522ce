//! A TCP chat server on 127.0.0.1, port 0: a `StreamServer` runs a handler per client in a
//! `Group`; each client has an outbound `Queue` drained by a writer greenlet; what a client
//! says is broadcast to all the others. Setting the `stop` `Event` stops the server
//! gracefully: it stops accepting, says goodbye to every client and closes their connections,
//! then waits for the handlers. Scripted clients run in the same program; the main greenlet
//! reads each expected line before going on, so every line is printed in an order that gevent
//! fixes.
//!
//! Port of `examples/gevent/chat_server.py` (gevent's `StreamServer` and sockets become
//! `greenery::net`'s); its stdout matches gevent's, line for line
//! (`examples/expected/chat_server.out`).

use std::cell::RefCell;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;

use greenery::event::Event;
use greenery::net::{StreamServer, TcpStream, create_connection};
use greenery::pool::Group;
use greenery::prelude::*;
use greenery::queue::Queue;

/// A line to send, or `None`: close the connection.
type Outbox = Queue<Option<String>>;

/// What the server's greenlets share: gevent's module-level `stop`, `clients`, `handlers`.
#[derive(Clone)]
struct Chat {
    stop: Event,
    /// Each client's name and outbound queue, in the order they joined.
    clients: Rc<RefCell<Vec<(String, Outbox)>>>,
    handlers: Group,
}

/// `sock.makefile('rb')`, for reading lines from a socket shared with a writer (each holds a
/// clone of the stream).
struct LineReader {
    sock: TcpStream,
    buf: Vec<u8>,
}

impl LineReader {
    fn new(sock: TcpStream) -> LineReader {
        LineReader {
            sock,
            buf: Vec::new(),
        }
    }

    /// `rfile.readline()`: the next line without its `\n`, or `None` at the end.
    async fn read_line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                return Ok(Some(String::from_utf8_lossy(&line[..end]).into_owned()));
            }
            let mut chunk = [0u8; 1024];
            let n = self.sock.read(&mut chunk).await?;
            if n == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let rest = std::mem::take(&mut self.buf);
                return Ok(Some(String::from_utf8_lossy(&rest).into_owned()));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn broadcast(chat: &Chat, sender: &str, line: &str) {
    for (name, outbox) in chat.clients.borrow().iter() {
        if name != sender {
            outbox
                .try_put(Some(line.to_string()))
                .expect("an unbounded queue is never full");
        }
    }
}

async fn writer(mut sock: TcpStream, outbox: Outbox) -> io::Result<()> {
    while let Ok(Some(line)) = outbox.get().await {
        sock.write_all(format!("{line}\n").as_bytes()).await?;
    }
    sock.shutdown(Shutdown::Write)
}

async fn handle(chat: Chat, sock: TcpStream) -> io::Result<()> {
    let mut rfile = LineReader::new(sock.clone());
    let name = rfile.read_line().await?.unwrap_or_default();
    let outbox = Outbox::unbounded();
    chat.clients
        .borrow_mut()
        .push((name.clone(), outbox.clone()));
    let w = greenery::spawn(writer(sock.clone(), outbox.clone()));
    let online = chat.clients.borrow().len();
    outbox
        .try_put(Some(format!("* welcome {name}, {online} online")))
        .expect("unbounded");
    broadcast(&chat, &name, &format!("* {name} joined"));
    println!("server: {name} joined");
    while let Some(line) = rfile.read_line().await? {
        broadcast(&chat, &name, &format!("{name}: {line}"));
    }
    chat.clients.borrow_mut().retain(|(n, _)| *n != name);
    if !chat.stop.is_set() {
        broadcast(&chat, &name, &format!("* {name} left"));
        println!("server: {name} left");
        outbox.try_put(None).expect("unbounded");
    }
    w.join().await;
    Ok(()) // the socket closes when its last handle (`rfile`, `sock`) is dropped
}

async fn serve(chat: Chat, server: StreamServer) -> io::Result<()> {
    server.start()?;
    chat.stop.wait().await;
    println!("server: stopping, {} online", chat.clients.borrow().len());
    server.close(); // stop accepting, close the listener
    for (_, outbox) in chat.clients.borrow().iter() {
        outbox
            .try_put(Some("* server shutting down".to_string()))
            .expect("unbounded");
        outbox.try_put(None).expect("unbounded");
    }
    // Waits for the handlers (gevent's, given `spawn=handlers.spawn`, leaves them to the group).
    server.stop(None).await;
    chat.handlers.join().await;
    println!("server: stopped");
    Ok(())
}

struct Client {
    name: &'static str,
    sock: TcpStream,
    rfile: LineReader,
}

impl Client {
    async fn connect(name: &'static str, address: SocketAddr) -> io::Result<Client> {
        let sock = create_connection(address, None).await?;
        let rfile = LineReader::new(sock.clone());
        let mut client = Client { name, sock, rfile };
        client.say(name).await?;
        Ok(client)
    }

    async fn say(&mut self, text: &str) -> io::Result<()> {
        self.sock.write_all(format!("{text}\n").as_bytes()).await
    }

    async fn expect(&mut self) -> io::Result<()> {
        match self.rfile.read_line().await? {
            Some(line) => println!("{} reads: {line}", self.name),
            None => println!("{} reads: (connection closed)", self.name),
        }
        Ok(())
    }

    /// Closes the connection (dropping the socket closes it).
    fn leave(self) {}
}

fn main() -> io::Result<()> {
    greenery::run(async {
        let chat = Chat {
            stop: Event::new(),
            clients: Rc::default(),
            handlers: Group::new(),
        };
        let chat_server = StreamServer::bind("127.0.0.1:0", {
            let chat = chat.clone();
            move |sock, _address| handle(chat.clone(), sock)
        })
        .await?
        .with_spawn(chat.handlers.clone());
        let address = chat_server.local_addr()?;
        let server = greenery::spawn(serve(chat.clone(), chat_server));

        let mut alice = Client::connect("alice", address).await?;
        alice.expect().await?;
        let mut bob = Client::connect("bob", address).await?;
        bob.expect().await?;
        alice.expect().await?;
        let mut carol = Client::connect("carol", address).await?;
        carol.expect().await?;
        alice.expect().await?;
        bob.expect().await?;

        alice.say("hi everyone").await?;
        bob.expect().await?;
        carol.expect().await?;
        bob.say("hey alice").await?;
        alice.expect().await?;
        carol.expect().await?;
        carol.say("got to go, bye").await?;
        alice.expect().await?;
        bob.expect().await?;
        carol.leave();
        alice.expect().await?;
        bob.expect().await?;

        chat.stop.set();
        for mut client in [alice, bob] {
            client.expect().await?;
            client.expect().await?;
            client.leave();
        }
        server.join().await;
        println!("main: done");
        Ok(())
    })
}
