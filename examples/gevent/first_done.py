# The gevent program that examples/src/bin/first_done.rs ports; first_done.out is its output.
#
# First-done handling: six lookups start at once; the main greenlet takes the first two
# results in the order they complete (iwait), skipping a lookup that fails, then kills the
# stragglers (killall). A link_exception callback reports real failures only: the kills are
# not failures in gevent (GreenletExit counts as success).
import gevent
from gevent import GreenletExit

WANTED = 2


def lookup(name, delay, broken=False):
    gevent.sleep(delay)
    if broken:
        raise ValueError('%s: backend unavailable' % name)
    return '%s=%d' % (name, len(name) * 10)


def report(g):
    print('link_exception: %s failed: %s' % (g.name, g.exception))


specs = [
    ('alpha', 0.25, False),
    ('bravo', 0.05, False),
    ('charlie', 0.20, False),
    ('delta', 0.10, True),
    ('echo', 0.15, False),
    ('foxtrot', 0.30, False),
]
greenlets = []
for name, delay, broken in specs:
    g = gevent.spawn(lookup, name, delay, broken)
    g.name = name
    g.link_exception(report)
    greenlets.append(g)
print('started %d lookups, want the first %d' % (len(greenlets), WANTED))

results = []
for g in gevent.iwait(greenlets):
    if not g.successful():
        print('iwait: %s failed, skipping it' % g.name)
        continue
    print('iwait: %s answered %s' % (g.name, g.value))
    results.append(g.value)
    if len(results) == WANTED:
        break

stragglers = [g for g in greenlets if not g.dead]
print('killing %d stragglers: %s' % (len(stragglers), ' '.join(g.name for g in stragglers)))
gevent.killall(greenlets)
print('first %d: %s' % (WANTED, ', '.join(results)))
for g in greenlets:
    if isinstance(g.value, GreenletExit):
        outcome = 'killed'
    elif g.exception is not None:
        outcome = 'failed (%s)' % g.exception
    else:
        outcome = 'answered %s' % g.value
    print('%-8s dead=%s %s' % (g.name, g.dead, outcome))
