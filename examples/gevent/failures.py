# The gevent program that examples/src/bin/failures.rs ports; failures.out is its output.
#
# Failing greenlets: six jobs start at once and two of them fail. A link_exception callback
# reports each failure as it happens, a link that fails itself does not stop the links after
# it, and iwait hands the jobs over in the order they finish. After the first four, the
# stragglers are killed, and get() raises each failure again. gevent prints each failure's
# traceback on stderr; only stdout is compared.
import gevent
from gevent import GreenletExit

WANTED = 4


def job(name, delay, error=None):
    gevent.sleep(delay)
    if error is not None:
        raise ValueError('%s: %s' % (name, error))
    return '%s ok' % name


def on_failure(g):
    print('link_exception: %s failed: %s' % (g.name, g.exception))


def broken_audit(g):
    raise RuntimeError('the audit of %s is broken' % g.name)


def audit_after(g):
    print('link: %s audited after the broken link' % g.name)


specs = [
    ('fetch', 0.015, None),
    ('render', 0.030, 'template missing'),
    ('parse', 0.045, 'bad header'),
    ('notify', 0.060, None),
    ('store', 0.075, None),
    ('archive', 0.090, None),
]
jobs = []
for name, delay, error in specs:
    g = gevent.spawn(job, name, delay, error)
    g.name = name
    g.link_exception(on_failure)
    jobs.append(g)
render = jobs[1]
render.link(broken_audit)
render.link(audit_after)
print('started %d jobs, waiting for the first %d' % (len(jobs), WANTED))

finished = []
for g in gevent.iwait(jobs):
    if g.successful():
        print('iwait: %s -> %s' % (g.name, g.value))
    else:
        print('iwait: %s failed: %s' % (g.name, g.exception))
    finished.append(g)
    if len(finished) == WANTED:
        break

stragglers = [g for g in jobs if not g.dead]
print('killing %d stragglers: %s' % (len(stragglers), ' '.join(g.name for g in stragglers)))
gevent.killall(stragglers)

for g in finished:
    try:
        print('get(%s) returned %s' % (g.name, g.get()))
    except ValueError as e:
        print('get(%s) raised %s' % (g.name, e))
failed = [g.name for g in jobs if g.exception is not None]
killed = [g.name for g in jobs if isinstance(g.value, GreenletExit)]
print('failed: %s; killed: %s' % (' '.join(failed), ' '.join(killed)))
