# The gevent program that examples/src/bin/pipeline.rs ports; pipeline.out is its output.
#
# A subprocess pipeline, printf | (slow) cat | tr a-z A-Z | sort | uniq -c | sort -rn, one
# stage at a time: each stage is a child with its stdin and stdout on pipes, fed the previous
# stage's output by communicate(); the last one is driven through its pipes by hand. A ticker
# greenlet keeps running meanwhile (the slow stage sleeps 0.3 s); only whether it ran is
# printed, since how often it ticks depends on time. Then one shell runs the same pipeline.
import os

import gevent
from gevent.subprocess import PIPE, Popen

C_LOCALE = dict(os.environ, LC_ALL='C')
WORDS = 'pear\\napple\\nPear\\nfig\\napple\\nkiwi\\npear\\nfig\\nAPPLE\\npear\\n'

ticks = 0


def ticker():
    global ticks
    while True:
        ticks += 1
        gevent.sleep(0.05)


def stage(name, args, data):
    p = Popen(args, stdin=PIPE, stdout=PIPE, env=C_LOCALE)
    out, _ = p.communicate(data)
    print('%-10s %3d bytes in, %2d lines out, exit %d'
          % (name, len(data), len(out.splitlines()), p.returncode))
    return out


t = gevent.spawn(ticker)
words = stage('printf', ['printf', WORDS], b'')
words = stage('slow cat', ['sh', '-c', 'sleep 0.3; exec cat'], words)
upper = stage('tr', ['tr', 'a-z', 'A-Z'], words)
ordered = stage('sort', ['sort'], upper)
counted = stage('uniq -c', ['uniq', '-c'], ordered)

last = Popen(['sort', '-rn'], stdin=PIPE, stdout=PIPE, env=C_LOCALE)
last.stdin.write(counted)
last.stdin.close()
ranked = last.stdout.read()
last.wait()
t.kill()
print('sort -rn exit %d; the ticker ran meanwhile: %s' % (last.returncode, ticks > 1))
for line in ranked.decode().splitlines():
    count, word = line.split()
    print('%-5s %s' % (word.lower(), '*' * int(count)))

shell = Popen("printf '%s' | tr a-z A-Z | sort | uniq -c | sort -rn" % WORDS,
              shell=True, stdout=PIPE, env=C_LOCALE)
out, _ = shell.communicate()
print('one shell, same answer: %s' % (out == ranked))
