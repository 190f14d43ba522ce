# The gevent program that examples/src/bin/echo_server.rs ports; echo_server.out is its output.
#
# A StreamServer echo server on 127.0.0.1, port 0, whose handlers run in a pool of two, and
# three client greenlets in the same program that connect, send lines and read the echo of
# each. The main greenlet prints each client's exchange after joining it, in spawn order, so
# the output does not depend on timing; then it stops the server.
import gevent
from gevent import socket
from gevent.server import StreamServer

served = []


def echo(sock, address):
    served.append(address)
    rfile = sock.makefile('rb')
    for line in rfile:
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


server = StreamServer(('127.0.0.1', 0), echo, spawn=2)
server.start()
print('server started: %s' % (server.started, ))

scripts = [
    ('alice', ['hello', 'how are you?']),
    ('bob', ['hi']),
    ('carol', ['one', 'two', 'three']),
]
clients = [gevent.spawn(client, server.address, name, lines) for name, lines in scripts]
for (name, lines), greenlet in zip(scripts, clients):
    for sent, echoed in zip(lines, greenlet.get()):
        print('%s sent %r, read back %r' % (name, sent, echoed))

server.stop()
print('server stopped: closed=%s, %d connections served' % (server.closed, len(served)))
