# The gevent program that examples/src/bin/echo_every_core.rs ports; echo_every_core.out is its
# output.
#
# An echo server on 127.0.0.1, port 0, and six client greenlets in the same program that
# connect, send lines and read the echo of each. gevent serves one process on one core: the
# Rust port runs a StreamServer on every hub of a Hubs (one per core) on one listening socket.
# The main greenlet prints each client's exchange after joining it, in spawn order, then stops
# the server and prints the totals the handlers counted, so the output does not depend on
# timing (nor, in the port, on which hub served which connection).
import gevent
from gevent import socket
from gevent.server import StreamServer

counts = {'connections': 0, 'lines': 0}


def echo(sock, address):
    counts['connections'] += 1
    rfile = sock.makefile('rb')
    for line in rfile:
        counts['lines'] += 1
        sock.sendall(line)
    rfile.close()


def client(address, name, lines):
    sock = socket.create_connection(address, timeout=5)
    rfile = sock.makefile('rb')
    replies = []
    for line in lines:
        sock.sendall(('%s: %s\n' % (name, line)).encode())
        replies.append(rfile.readline().decode().rstrip('\n'))
    rfile.close()
    sock.close()
    return replies


server = StreamServer(('127.0.0.1', 0), echo)
server.start()
print('serving on every core')

scripts = [
    ('alice', ['hello', 'how are you?']),
    ('bob', ['hi']),
    ('carol', ['one', 'two', 'three']),
    ('dave', ['ping']),
    ('erin', ['a', 'b']),
    ('frank', ['last one']),
]
clients = [gevent.spawn(client, server.address, name, lines) for name, lines in scripts]
for (name, lines), greenlet in zip(scripts, clients):
    for sent, echoed in zip(lines, greenlet.get()):
        print('%s sent %r, read back %r' % (name, sent, echoed))

server.stop()
print('server stopped: %d connections served, %d lines echoed'
      % (counts['connections'], counts['lines']))
