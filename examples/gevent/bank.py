# The gevent program that examples/src/bin/bank.rs ports; bank.out is its output.
#
# A supervised bank account actor: the tutorial's hand-written Actor (a Greenlet subclass
# looping on an inbox Queue), asked for its balance and for withdrawals through an
# AsyncResult in the message. A bad deposit raises, which kills the actor's greenlet; a
# supervising greenlet, woken when the actor dies (join, a link), prints why and starts a
# fresh actor on the same inbox, which reloads the balance from the ledger and goes on with
# the messages still queued.
import gevent
from gevent import Greenlet
from gevent.event import AsyncResult
from gevent.queue import Queue


class Actor(gevent.Greenlet):
    def __init__(self, inbox):
        self.inbox = inbox
        Greenlet.__init__(self)

    def started(self):
        pass

    def stopped(self):
        pass

    def receive(self, message):
        raise NotImplementedError()

    def _run(self):
        self.running = True
        self.started()
        while self.running:
            message = self.inbox.get()
            self.receive(message)
        self.stopped()


ledger = {'balance': 0}  # what a restarted account reloads


class Account(Actor):
    def started(self):
        self.balance = ledger['balance']
        print('account: open, balance %d' % self.balance)

    def stopped(self):
        print('account: closed, balance %d' % self.balance)

    def receive(self, message):
        kind = message[0]
        if kind == 'deposit':
            amount = message[1]
            if amount <= 0:
                raise ValueError('bad deposit: %d' % amount)
            self.balance += amount
            ledger['balance'] = self.balance
            print('account: deposit %d -> %d' % (amount, self.balance))
        elif kind == 'withdraw':
            amount, reply = message[1:]
            if amount > self.balance:
                reply.set_exception(ValueError('insufficient funds: balance %d' % self.balance))
                return
            self.balance -= amount
            ledger['balance'] = self.balance
            reply.set(self.balance)
        elif kind == 'balance':
            reply = message[1]
            reply.set(self.balance)
        elif kind == 'stop':
            self.running = False


def ask(inbox, *message):
    reply = AsyncResult()
    inbox.put(message + (reply,))
    return reply.get()


class Supervisor(object):
    def __init__(self, max_restarts):
        self.max_restarts = max_restarts
        self.restarts = 0

    def supervise(self, factory, inbox):
        while True:
            actor = factory(inbox)
            actor.start()
            actor.join()
            if actor.successful():
                return
            if self.restarts == self.max_restarts:
                raise actor.exception
            self.restarts += 1
            print('supervisor: restart %d of %s: %s'
                  % (self.restarts, type(actor).__name__, actor.exception))


inbox = Queue()
supervisor = Supervisor(max_restarts=3)
supervising = gevent.spawn(supervisor.supervise, Account, inbox)

inbox.put(('deposit', 100))
print('main: balance %d' % ask(inbox, 'balance'))
print('main: withdrew 30, balance %d' % ask(inbox, 'withdraw', 30))
try:
    ask(inbox, 'withdraw', 500)
except ValueError as e:
    print('main: withdrawal of 500 refused: %s' % e)

inbox.put(('deposit', -50))  # a bad message: the account crashes
inbox.put(('deposit', 25))  # waits in the inbox, for the restarted account
print('main: balance %d' % ask(inbox, 'balance'))
inbox.put(('deposit', 0))
print('main: withdrew 45, balance %d' % ask(inbox, 'withdraw', 45))

inbox.put(('stop',))
supervising.join()
print('main: %d restarts; the ledger says %d' % (supervisor.restarts, ledger['balance']))
