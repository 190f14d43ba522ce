# The gevent program that examples/src/bin/crawler.rs ports; crawler.out is its output.
#
# A crawler: a dispatcher takes URLs from a queue and spawns a fetch for each into a Pool(3);
# each fetch puts the links it finds (once each) back into the queue and marks its URL done;
# the main greenlet waits for queue.join(). Fetching is simulated: an in-memory link graph and
# a sleep of a distinct length per page, so the output is the same on every run.
import gevent
from gevent.pool import Pool
from gevent.queue import Queue

LINKS = {
    '/': ['/about', '/blog', '/shop'],
    '/about': ['/', '/team'],
    '/blog': ['/blog/1', '/blog/2', '/about'],
    '/shop': ['/shop/cart', '/shop/item'],
    '/team': ['/about'],
    '/blog/1': ['/blog/2', '/'],
    '/blog/2': ['/blog/1'],
    '/shop/cart': ['/shop'],
    '/shop/item': ['/shop/cart', '/team'],
}
# Milliseconds per page.
DELAY = {
    '/': 90,
    '/about': 210,
    '/blog': 150,
    '/shop': 360,
    '/team': 60,
    '/blog/1': 270,
    '/blog/2': 120,
    '/shop/cart': 180,
    '/shop/item': 240,
}

pool = Pool(3)
queue = Queue()
seen = set()
pages = []


def fetch(url):
    print('fetch %-10s (%d of %d busy)' % (url, len(pool), pool.size))
    gevent.sleep(DELAY[url] / 1000.0)
    links = LINKS[url]
    new = [link for link in links if link not in seen]
    for link in new:
        seen.add(link)
        queue.put(link)
    print('  got %-10s %d links, %d new, %d queued' % (url, len(links), len(new), queue.qsize()))
    pages.append(url)
    queue.task_done()


def dispatcher():
    while True:
        url = queue.get()
        pool.spawn(fetch, url)


seen.add('/')
queue.put('/')
d = gevent.spawn(dispatcher)
queue.join()
print('queue joined: %d unfinished, pool of %d' % (queue.unfinished_tasks, len(pool)))
d.kill()
pool.join()
print('crawled %d pages: %s' % (len(pages), ' '.join(pages)))
