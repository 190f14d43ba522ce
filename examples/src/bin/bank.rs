//! A supervised bank account actor: deposits are sent, the balance and withdrawals are asked
//! (`ask`, answered through a `Reply`). A bad deposit panics; the `Supervisor` restarts the
//! account on the same address and mailbox, and its `on_restart` hook prints why. The fresh
//! account reloads its balance from the ledger and goes on with the messages still queued.
//!
//! Port of `examples/gevent/bank.py`, the gevent tutorial's hand-written actor (a `Greenlet`
//! subclass looping on an inbox `Queue`) restarted by a supervising greenlet that waits for
//! it to die; its stdout matches gevent's, line for line (`examples/expected/bank.out`). The
//! panic reports go to stderr, as gevent's tracebacks do.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use greenery::GreenletError;
use greenery::actor::{Actor, Context, Reply, RestartPolicy, Supervisor};

enum Command {
    Deposit(i64),
    Withdraw(i64, Reply<Result<i64, String>>),
    Balance(Reply<i64>),
    Close,
}

struct Account {
    /// What a restarted account reloads.
    ledger: Rc<Cell<i64>>,
    balance: i64,
}

impl Actor for Account {
    type Message = Command;

    async fn started(&mut self, _ctx: &mut Context<Self>) {
        self.balance = self.ledger.get();
        println!("account: open, balance {}", self.balance);
    }

    async fn stopped(&mut self, _ctx: &mut Context<Self>) {
        println!("account: closed, balance {}", self.balance);
    }

    async fn receive(&mut self, message: Command, ctx: &mut Context<Self>) {
        match message {
            Command::Deposit(amount) => {
                if amount <= 0 {
                    panic!("bad deposit: {amount}");
                }
                self.balance += amount;
                self.ledger.set(self.balance);
                println!("account: deposit {amount} -> {}", self.balance);
            }
            Command::Withdraw(amount, reply) => {
                if amount > self.balance {
                    let _ =
                        reply.send(Err(format!("insufficient funds: balance {}", self.balance)));
                    return;
                }
                self.balance -= amount;
                self.ledger.set(self.balance);
                let _ = reply.send(Ok(self.balance));
            }
            Command::Balance(reply) => {
                let _ = reply.send(self.balance);
            }
            Command::Close => ctx.stop(),
        }
    }
}

fn main() {
    greenery::run(async {
        let ledger = Rc::new(Cell::new(0));
        let supervisor = Supervisor::new(RestartPolicy::new(3, Duration::from_secs(60)))
            .on_restart(|failure| {
                let why = match failure.error() {
                    GreenletError::Panicked(message) => message.clone(),
                    other => other.to_string(),
                };
                println!(
                    "supervisor: restart {} of {}: {why}",
                    failure.restarts(),
                    failure.name()
                );
            });
        let account = supervisor.spawn({
            let ledger = ledger.clone();
            move || Account {
                ledger: ledger.clone(),
                balance: 0,
            }
        });

        account
            .send(Command::Deposit(100))
            .await
            .expect("the account is open");
        let balance = account.ask(Command::Balance).await.expect("it answers");
        println!("main: balance {balance}");
        let withdrew = account.ask(|reply| Command::Withdraw(30, reply)).await;
        println!(
            "main: withdrew 30, balance {}",
            withdrew.expect("it answers").expect("enough funds")
        );
        let refused = account.ask(|reply| Command::Withdraw(500, reply)).await;
        if let Err(e) = refused.expect("it answers") {
            println!("main: withdrawal of 500 refused: {e}");
        }

        // A bad message: the account crashes.
        account.send(Command::Deposit(-50)).await.expect("open");
        // Waits in the mailbox, for the restarted account.
        account.send(Command::Deposit(25)).await.expect("open");
        let balance = account.ask(Command::Balance).await.expect("it answers");
        println!("main: balance {balance}");
        account.send(Command::Deposit(0)).await.expect("open");
        let withdrew = account.ask(|reply| Command::Withdraw(45, reply)).await;
        println!(
            "main: withdrew 45, balance {}",
            withdrew.expect("it answers").expect("enough funds")
        );

        account.send(Command::Close).await.expect("open");
        account.join().await.expect("the account closed cleanly");
        println!(
            "main: {} restarts; the ledger says {}",
            account.restarts(),
            ledger.get()
        );
    });
}
