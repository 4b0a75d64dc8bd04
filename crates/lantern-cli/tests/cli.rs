//! The `lantern` command as a user runs it: real binary, real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(tag: &str) -> Dir {
    let p = std::env::temp_dir().join(format!("lantern-cli-{tag}-{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], ""));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    Dir(p)
}

fn lantern(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lantern"));
    cmd.args(args).env("LANTERN_CHEAP_HASH", "1").env("LANTERN_DEMO_PASSWORD", "demo-password-for-tests").env_remove("LANTERN_DATABASE_URL").env_remove("LANTERN_DATA_DIR");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn d(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn demo_generate_then_verify_then_tamper() {
    let data = dir("verify");
    let o = lantern(&["demo", "generate", "--people", "30", "--seed", "3", "--as-of", "2026-11-01", "--data-dir", d(&data.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("Generated 30 synthetic people"), "{}", out(&o));
    // Running it twice is refused clearly.
    let again = lantern(&["demo", "generate", "--people", "30", "--data-dir", d(&data.0)], None);
    assert!(!again.status.success());
    assert!(out(&again).contains("already exists"), "{}", out(&again));
    let o = lantern(&["audit", "verify", "--data-dir", d(&data.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("chain intact"));
    // A token for the API: the last word of the last line.
    let o = lantern(&["token", "create", "--user", "specialist@demo", "--data-dir", d(&data.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let token = stdout.lines().last().unwrap().split_whitespace().last().unwrap();
    assert!(token.starts_with("lnt_") && token.len() > 40, "{token}");
    let o = lantern(&["token", "create", "--user", "nobody@demo", "--data-dir", d(&data.0)], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("no account"), "{}", out(&o));
    // Tamper with one row behind the trigger's back.
    let db = data.0.join("lantern.db");
    let status = Command::new("sqlite3").arg(&db).arg("DROP TRIGGER audit_no_update; UPDATE audit_log SET actor_id = 99 WHERE seq = 7;").status();
    if status.map(|s| s.success()).unwrap_or(false) {
        let o = lantern(&["audit", "verify", "--data-dir", d(&data.0)], None);
        assert!(!o.status.success(), "tampering must be detected");
        assert!(out(&o).contains("audit row 7"), "{}", out(&o));
    } else {
        eprintln!("SKIPPED part: the sqlite3 command-line tool is not installed (the web suite tampers through sqlx instead)");
    }
}

#[test]
fn demo_data_is_deterministic() {
    let a = dir("det-a");
    let b = dir("det-b");
    for x in [&a, &b] {
        let o = lantern(&["demo", "generate", "--people", "25", "--seed", "42", "--as-of", "2026-06-01", "--data-dir", d(&x.0)], None);
        assert!(o.status.success(), "{}", out(&o));
    }
    let dump = |p: &Path| {
        Command::new("sqlite3").arg(p.join("lantern.db")).arg("SELECT legal_name, stage, stage_since, last_contact_on FROM people ORDER BY id").output().ok().map(|o| o.stdout)
    };
    if let (Some(x), Some(y)) = (dump(&a.0), dump(&b.0)) {
        assert!(!x.is_empty());
        assert_eq!(x, y, "same seed, same people");
    } else {
        eprintln!("SKIPPED comparison: sqlite3 command-line tool not installed");
    }
}

#[test]
fn bad_input_gets_one_clear_line_and_nonzero_exit() {
    let data = dir("bad");
    let o = lantern(&["demo", "generate", "--people", "many", "--data-dir", d(&data.0)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("--people"), "{}", out(&o));
    let o = lantern(&["demo", "generate", "--as-of", "yesterday", "--data-dir", d(&data.0)], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("--as-of"), "{}", out(&o));
    let o = lantern(&["serve", "--database-url", "mysql://x", "--addr", "127.0.0.1:0"], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("postgres://"), "{}", out(&o));
    // A password that is too short is refused before anything is written.
    lantern(&["org", "add", "Test Org", "--slug", "t", "--data-dir", d(&data.0)], None);
    let o = lantern(&["user", "add", "--email", "a@t", "--name", "A", "--roles", "specialist", "--data-dir", d(&data.0)], Some("short\n"));
    assert!(!o.status.success());
    assert!(out(&o).contains("12 characters"), "{}", out(&o));
    let o = lantern(&["user", "add", "--email", "a@t", "--name", "A", "--roles", "wizard", "--data-dir", d(&data.0)], Some("a long enough passphrase\n"));
    assert!(!o.status.success());
    assert!(out(&o).contains("unknown role"), "{}", out(&o));
    let o = lantern(&["user", "add", "--email", "a@t", "--name", "A", "--roles", "specialist", "--data-dir", d(&data.0)], Some("a long enough passphrase\n"));
    assert!(o.status.success(), "{}", out(&o));
}

#[test]
fn corrupt_or_foreign_database_is_refused() {
    let data = dir("corrupt");
    std::fs::write(data.0.join("lantern.db"), b"this is not a database, it is a grocery list").unwrap();
    let o = lantern(&["migrate", "--data-dir", d(&data.0)], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("not a SQLite database"), "{}", out(&o));
    assert!(!out(&o).contains("panicked"));
    let foreign = dir("foreign");
    let made = Command::new("sqlite3").arg(foreign.0.join("lantern.db")).arg("CREATE TABLE recipes (name TEXT);").status();
    if made.map(|s| s.success()).unwrap_or(false) {
        let o = lantern(&["migrate", "--data-dir", d(&foreign.0)], None);
        assert_eq!(o.status.code(), Some(1));
        assert!(out(&o).contains("not Lantern's"), "{}", out(&o));
    }
}

#[test]
fn backup_and_restore_round_trip() {
    let data = dir("backup");
    assert!(lantern(&["demo", "generate", "--people", "20", "--data-dir", d(&data.0)], None).status.success());
    let file = data.0.join("copy.lantern");
    let o = lantern(&["backup", d(&file), "--data-dir", d(&data.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("20 people"), "{}", out(&o));
    // Refuses to overwrite.
    assert!(!lantern(&["backup", d(&file), "--data-dir", d(&data.0)], None).status.success());
    let target = dir("restore");
    let o = lantern(&["restore", d(&file), "--data-dir", d(&target.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(lantern(&["audit", "verify", "--data-dir", d(&target.0)], None).status.success());
    // Restoring over an existing database is refused; so is a broken file.
    assert!(!lantern(&["restore", d(&file), "--data-dir", d(&target.0)], None).status.success());
    let junk = data.0.join("junk.lantern");
    std::fs::write(&junk, b"SQLite format 3\0 but then nothing sensible").unwrap();
    let empty = dir("restore-junk");
    let o = lantern(&["restore", d(&junk), "--data-dir", d(&empty.0)], None);
    assert!(!o.status.success());
    assert!(!empty.0.join("lantern.db").exists(), "nothing half-restored");
}

#[test]
fn serves_https_with_tls_cert_and_key() {
    let data = dir("tls");
    let cert = data.0.join("cert.pem");
    let key = data.0.join("key.pem");
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", d(&key), "-out", d(&cert)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !made.map(|s| s.success()).unwrap_or(false) || Command::new("curl").arg("--version").output().is_err() {
        eprintln!("SKIPPED: openssl or curl is not installed");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir", d(&data.0), "--tls-cert", d(&cert), "--tls-key", d(&key)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut answer = String::new();
    for _ in 0..100 {
        let o = Command::new("curl").args(["-sk", "-i", &format!("https://127.0.0.1:{port}/login")]).output().unwrap();
        answer = String::from_utf8_lossy(&o.stdout).to_string();
        if answer.contains("200") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(answer.starts_with("HTTP/2 200") || answer.starts_with("HTTP/1.1 200"), "{answer}");
    let lower = answer.to_lowercase();
    assert!(lower.contains("strict-transport-security"), "HSTS over TLS");
    assert!(lower.contains("set-cookie: __host-lantern_login=") && lower.contains("secure"), "secure cookies over TLS");
    // A missing key file is one clear line.
    let o = lantern(&["serve", "--addr", "127.0.0.1:0", "--data-dir", d(&data.0), "--tls-cert", d(&cert), "--tls-key", "/nonexistent/key.pem"], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("--tls-key"), "{}", out(&o));
}

#[test]
fn check_jsonl_contract_and_file_mode() {
    let input = "{\"id\": \"a\", \"text\": \"he is an addict\"}\n{not json}\n{\"id\": \"c\"}\n{\"id\": \"d\", \"text\": \"Narcotics Anonymous meets on Tuesdays.\"}\n";
    let o = lantern(&["check", "--jsonl"], Some(input));
    assert_eq!(o.status.code(), Some(2), "a bad line makes the exit code 2");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "one line out per line in");
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["flags"][0]["text"], "addict");
    assert_eq!(lines[0]["flags"][0]["start"], 9);
    assert_eq!(lines[0]["flags"][0]["severity"], "warn");
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["line"], 3);
    assert_eq!(lines[3]["flags"].as_array().unwrap().len(), 0, "organization names are not flagged");
    assert_eq!(lines[3]["distress"]["flagged"], false);
    assert!(!o.stderr.is_empty(), "bad lines are also reported on stderr");
    let ok = lantern(&["check", "--jsonl"], Some("{\"id\": \"x\", \"text\": \"cleaned her apartment\"}\n"));
    assert_eq!(ok.status.code(), Some(0));

    let work = dir("check");
    let note = work.0.join("note.txt");
    std::fs::write(&note, "Met at the library.\nHe is an addict who relapsed, UA came back dirty.\n").unwrap();
    let o = lantern(&["check", d(&note)], None);
    assert_eq!(o.status.code(), Some(1), "warn-level flags exit 1");
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains(&format!("{}:2:10: addict: \"addict\" → person with a substance use disorder", d(&note))), "{s}");
    let clean = work.0.join("clean.txt");
    std::fs::write(&clean, "We walked to the food pantry together.\n").unwrap();
    assert_eq!(lantern(&["check", d(&clean)], None).status.code(), Some(0));
    let bad = work.0.join("bad.txt");
    std::fs::write(&bad, [0xff, 0xfe, 0x41]).unwrap();
    let o = lantern(&["check", d(&bad)], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("not UTF-8"), "{}", out(&o));
}

#[test]
fn units_report_as_csv_and_inverted_range_refused() {
    let data = dir("units");
    let o = lantern(&["demo", "generate", "--people", "30", "--seed", "5", "--as-of", "2026-11-01", "--data-dir", d(&data.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    let o = lantern(&["report", "units", "--from", "2024-01-01", "--to", "2026-11-01", "--format", "csv", "--data-dir", d(&data.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    let csv = String::from_utf8_lossy(&o.stdout).to_string();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!(header.iter().any(|h| h.contains("units")), "{header:?}");
    let billed = header.iter().position(|h| *h == "billed_units").unwrap();
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(str::to_string).collect()).collect();
    assert!(!rows.is_empty(), "the demo has signed, billed notes");
    assert!(rows.iter().all(|r| r.len() == header.len() && r[0] == "demo"));
    assert!(rows.iter().map(|r| r[billed].parse::<i64>().unwrap()).sum::<i64>() > 0);
    // The same data twice gives the same report (the generator is deterministic).
    let again = dir("units2");
    lantern(&["demo", "generate", "--people", "30", "--seed", "5", "--as-of", "2026-11-01", "--data-dir", d(&again.0)], None);
    let o2 = lantern(&["report", "units", "--from", "2024-01-01", "--to", "2026-11-01", "--data-dir", d(&again.0)], None);
    assert_eq!(String::from_utf8_lossy(&o2.stdout), csv);
    // An inverted range: a message and a non-zero exit.
    let o = lantern(&["report", "units", "--from", "2026-05-01", "--to", "2026-04-01", "--format", "csv", "--data-dir", d(&data.0)], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("inverted"), "{}", out(&o));
}
