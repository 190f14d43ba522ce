# The gevent program that examples/src/bin/spawn_join.rs ports; spawn_join.out is its output.
import gevent


def foo():
    print('Running in foo')
    gevent.sleep(0)
    print('Explicit context switch to foo again')


def bar():
    print('Explicit context to bar')
    gevent.sleep(0)
    print('Implicit context switch back to bar')


gevent.joinall([gevent.spawn(foo), gevent.spawn(bar)])


def task(pid, delay):
    gevent.sleep(delay * 0.02)
    print('Task %s done' % pid)
    return pid


tasks = [gevent.spawn(task, pid, delay) for pid, delay in enumerate([3, 1, 2])]
print('Spawned %d tasks' % len(tasks))
done = gevent.joinall(tasks)
print('Results in spawn order: %s' % [g.value for g in tasks])

sleeper = gevent.spawn(gevent.sleep, 10)
gevent.sleep(0)
sleeper.kill()
print('Killed sleeper: dead=%s' % sleeper.dead)
