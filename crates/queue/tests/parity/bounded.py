import sys
import gevent
from gevent.queue import Queue, Empty
W = int(sys.argv[1]); M = int(sys.argv[2]); N1 = int(sys.argv[3]); N2 = int(sys.argv[4])
names = ['w%d' % i for i in range(W)]
tasks = Queue(maxsize=M)
def worker(n):
    try:
        while True:
            task = tasks.get(timeout=0.3)
            print('Worker %s got task %s' % (n, task))
            gevent.sleep(0)
    except Empty:
        print('Quitting time!')
def boss():
    for i in range(1, N1):
        tasks.put(i)
    print('Assigned all work in iteration 1')
    for i in range(N1, N2):
        tasks.put(i)
    print('Assigned all work in iteration 2')
gevent.joinall([gevent.spawn(boss)] + [gevent.spawn(worker, n) for n in names])
