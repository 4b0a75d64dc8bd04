//! Throwaway driver: `check_jsonl` on stdin/stdout, exit 2 on bad lines.
use std::io::{self, Write};

fn main() {
    let checker = lantern_language::Checker::builtin();
    let stdin = io::stdin();
    let stdout = io::stdout();
    let stderr = io::stderr();
    match lantern_language::jsonl::check_jsonl(&checker, stdin.lock(), stdout.lock(), stderr.lock())
    {
        Ok(o) if o.any_bad() => std::process::exit(2),
        Ok(_) => {}
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e}");
            std::process::exit(2);
        }
    }
}
