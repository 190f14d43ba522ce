//! A subprocess pipeline, `printf | (slow) cat | tr a-z A-Z | sort | uniq -c | sort -rn`, one
//! stage at a time: each stage is a child with its stdin and stdout on pipes, fed the previous
//! stage's output by `communicate`; the last one is driven through its pipes by hand. A ticker
//! greenlet keeps running meanwhile (the slow stage sleeps 0.3 s); only whether it ran is
//! printed, since how often it ticks depends on time. Then one shell runs the same pipeline.
//! Port of `examples/gevent/pipeline.py`; its stdout matches gevent's, line for line
//! (`examples/expected/pipeline.out`).

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use greenery::prelude::*;
use greenery::subprocess::{Popen, Redirect};

/// `printf`'s format: the `\n` are for printf to expand.
const WORDS: &str = r"pear\napple\nPear\nfig\napple\nkiwi\npear\nfig\nAPPLE\npear\n";

async fn ticker(ticks: Rc<Cell<u32>>) {
    loop {
        ticks.set(ticks.get() + 1);
        greenery::sleep(Duration::from_millis(50)).await;
    }
}

async fn stage(name: &str, args: &[&str], data: &[u8]) -> io::Result<Vec<u8>> {
    let p = Popen::new(args)
        .stdin(Redirect::Pipe)
        .stdout(Redirect::Pipe)
        .env("LC_ALL", "C")
        .spawn()?;
    let (out, _) = p.communicate(Some(data)).await?;
    println!(
        "{name:<10} {:>3} bytes in, {:>2} lines out, exit {}",
        data.len(),
        // (`out.lines()` would be the prelude's async `AsyncBufReadExt::lines`.)
        String::from_utf8_lossy(&out).lines().count(),
        p.returncode().expect("communicate waits for the child")
    );
    Ok(out)
}

fn main() -> io::Result<()> {
    greenery::run(async {
        let ticks = Rc::new(Cell::new(0));
        let t = greenery::spawn(ticker(ticks.clone()));
        let words = stage("printf", &["printf", WORDS], b"").await?;
        let words = stage("slow cat", &["sh", "-c", "sleep 0.3; exec cat"], &words).await?;
        let upper = stage("tr", &["tr", "a-z", "A-Z"], &words).await?;
        let ordered = stage("sort", &["sort"], &upper).await?;
        let counted = stage("uniq -c", &["uniq", "-c"], &ordered).await?;

        let last = Popen::new(["sort", "-rn"])
            .stdin(Redirect::Pipe)
            .stdout(Redirect::Pipe)
            .env("LC_ALL", "C")
            .spawn()?;
        let mut stdin = last.take_stdin().expect("stdin is piped");
        stdin.write_all(&counted).await?;
        drop(stdin); // `last.stdin.close()`
        let mut ranked = String::new();
        let mut stdout = last.take_stdout().expect("stdout is piped");
        stdout.read_to_string(&mut ranked).await?;
        let code = last.wait().await?;
        t.kill().await;
        let ran = if ticks.get() > 1 { "True" } else { "False" };
        println!("sort -rn exit {code}; the ticker ran meanwhile: {ran}");
        for line in ranked.lines() {
            let (count, word) = line
                .trim()
                .split_once(' ')
                .expect("uniq -c prints a count, then the line");
            let stars = "*".repeat(count.parse().expect("a count"));
            println!("{:<5} {stars}", word.to_lowercase());
        }

        let shell = Popen::shell(format!(
            "printf '{WORDS}' | tr a-z A-Z | sort | uniq -c | sort -rn"
        ))
        .stdout(Redirect::Pipe)
        .env("LC_ALL", "C")
        .spawn()?;
        let (out, _) = shell.communicate(None).await?;
        let same = if out == ranked.as_bytes() {
            "True"
        } else {
            "False"
        };
        println!("one shell, same answer: {same}");
        Ok(())
    })
}
