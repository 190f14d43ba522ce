import sys
import gevent
from gevent.queue import Queue
W = int(sys.argv[1]); N = int(sys.argv[2])
tasks = Queue()
def worker(n):
    while not tasks.empty():
        task = tasks.get()
        print('Worker %s got task %s' % (n, task))
        gevent.sleep(0)
    print('Quitting time!')
def boss():
    for i in range(1, N):
        tasks.put_nowait(i)
gevent.spawn(boss).join()
gevent.joinall([gevent.spawn(worker, 'w%d' % i) for i in range(W)])
