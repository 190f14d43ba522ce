# The gevent program that examples/src/bin/chat_server.rs ports; chat_server.out is its output.
#
# A TCP chat server on 127.0.0.1, port 0: a StreamServer runs a handler per client in a
# Group; each client has an outbound Queue drained by a writer greenlet; what a client says is
# broadcast to all the others. Setting the `stop` Event stops the server gracefully: it stops
# accepting, says goodbye to every client and closes their connections, then waits for the
# handlers. Scripted clients run in the same program; the main greenlet reads each
# expected line before going on, so every line is printed in an order that gevent fixes.
import gevent
from gevent import socket
from gevent.event import Event
from gevent.pool import Group
from gevent.queue import Queue
from gevent.server import StreamServer

stop = Event()
clients = {}  # name -> outbound queue, in the order they joined
handlers = Group()


def broadcast(sender, line):
    for name, outbox in clients.items():
        if name != sender:
            outbox.put(line)


def writer(sock, outbox):
    while True:
        line = outbox.get()
        if line is None:
            break
        sock.sendall(line.encode() + b'\n')
    sock.shutdown(socket.SHUT_WR)


def handle(sock, address):
    rfile = sock.makefile('rb')
    name = rfile.readline().decode().rstrip('\n')
    outbox = Queue()
    clients[name] = outbox
    w = gevent.spawn(writer, sock, outbox)
    outbox.put('* welcome %s, %d online' % (name, len(clients)))
    broadcast(name, '* %s joined' % name)
    print('server: %s joined' % name)
    for line in rfile:
        broadcast(name, '%s: %s' % (name, line.decode().rstrip('\n')))
    del clients[name]
    if not stop.is_set():
        broadcast(name, '* %s left' % name)
        print('server: %s left' % name)
        outbox.put(None)
    w.join()
    rfile.close()  # the server closes the socket when the handler returns


def serve(server):
    server.start()
    stop.wait()
    print('server: stopping, %d online' % len(clients))
    server.close()  # stop accepting, close the listener
    for outbox in clients.values():
        outbox.put('* server shutting down')
        outbox.put(None)
    server.stop()
    handlers.join()
    print('server: stopped')


class Client(object):
    def __init__(self, name, address):
        self.name = name
        self.sock = socket.create_connection(address)
        self.rfile = self.sock.makefile('rb')
        self.say(name)

    def say(self, text):
        self.sock.sendall(text.encode() + b'\n')

    def expect(self):
        line = self.rfile.readline()
        if line:
            print('%s reads: %s' % (self.name, line.decode().rstrip('\n')))
        else:
            print('%s reads: (connection closed)' % self.name)

    def leave(self):
        self.rfile.close()
        self.sock.close()


# A Group is not accepted as `spawn=` (the server expects a Pool's semaphore); its `spawn`
# method is, and the server then leaves the handlers to the group.
chat = StreamServer(('127.0.0.1', 0), handle, spawn=handlers.spawn)
chat.init_socket()  # bind now, to know the port: start() would
address = chat.address
server = gevent.spawn(serve, chat)

alice = Client('alice', address)
alice.expect()
bob = Client('bob', address)
bob.expect()
alice.expect()
carol = Client('carol', address)
carol.expect()
alice.expect()
bob.expect()

alice.say('hi everyone')
bob.expect()
carol.expect()
bob.say('hey alice')
alice.expect()
carol.expect()
carol.say('got to go, bye')
alice.expect()
bob.expect()
carol.leave()
alice.expect()
bob.expect()

stop.set()
for client in (alice, bob):
    client.expect()
    client.expect()
    client.leave()
server.join()
print('main: done')
