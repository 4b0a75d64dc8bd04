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

// ---- lantern directory import / export ----

fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} not found", p.display());
        None
    }
}

/// A small, valid HSDS 1.1 package written by the test.
fn write_package(dir: &Path, overrides: &[(&str, &[u8])]) {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("organizations.csv", b"id,name,description,url\n1,Harbor Food Bank,Groceries for anyone who needs them,harborfood.example.org\n2,Open Door Recovery Center,Peer-run recovery support,\n".to_vec()),
        ("locations.csv", b"id,organization_id,name,latitude,longitude\n10,1,Harbor Food Bank Main,25.77,-80.19\n20,2,Open Door,25.80,-80.20\n".to_vec()),
        ("services.csv", b"id,organization_id,name,description,status,fees\n100,1,Food pantry,\"Free groceries,\nonce a week\",active,Free\n200,2,Recovery meetings,Peer-led groups,,\n".to_vec()),
        ("services_at_location.csv", b"id,service_id,location_id\n1000,100,10\n2000,200,20\n".to_vec()),
        ("physical_addresses.csv", b"id,location_id,address_1,city,state_province,postal_code,country\n1,10,1 Harbor Way,Miami,FL,33125,US\n2,20,2 Open Lane,Miami,FL,33130,US\n".to_vec()),
        ("regular_schedules.csv", b"id,service_id,weekday,opens_at,closes_at\n1,100,Monday,9:00am,5:00pm\n2,100,Tuesday,9:00am,5:00pm\n3,200,Saturday,10am,noon\n".to_vec()),
        ("languages.csv", b"id,service_id,location_id,language\n1,100,,Spanish\n".to_vec()),
    ];
    for (name, content) in files {
        let content = overrides.iter().find(|(n, _)| *n == name).map(|(_, c)| c.to_vec()).unwrap_or(content);
        std::fs::write(dir.join(name), content).unwrap();
    }
    for (name, content) in overrides {
        if !dir.join(name).exists() {
            std::fs::write(dir.join(name), content).unwrap();
        }
    }
}

fn export_counts(data: &Path, tag: &str) -> (usize, usize) {
    let exp = dir(tag);
    let o = lantern(&["directory", "export", "--format", "json", d(&exp.0.join("json")), "--data-dir", d(data)], None);
    assert!(o.status.success(), "{}", out(&o));
    let count = |f: &str| serde_json::from_slice::<Vec<serde_json::Value>>(&std::fs::read(exp.0.join("json").join(f)).unwrap()).unwrap().len();
    (count("organizations.json"), count("services.json"))
}

#[test]
fn directory_import_is_idempotent_and_exports() {
    let pkg = dir("pkg-ok");
    write_package(&pkg.0, &[]);
    let data = dir("dir-ok");
    let o = lantern(&["directory", "import", d(&pkg.0), "--data-dir", d(&data.0)], None);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("2 organizations") && text.contains("2 services") && text.contains("2 locations"), "{text}");
    assert!(text.contains("8 created, 0 updated, 0 unchanged"), "{text}");
    // Again: nothing changes.
    let o = lantern(&["directory", "import", d(&pkg.0), "--data-dir", d(&data.0)], None);
    assert!(out(&o).contains("0 created, 0 updated, 8 unchanged"), "{}", out(&o));
    // A changed description updates that service only.
    write_package(&pkg.0, &[("services.csv", b"id,organization_id,name,description,status\n100,1,Food pantry,Free groceries every Monday,active\n200,2,Recovery meetings,Peer-led groups,\n")]);
    let o = lantern(&["directory", "import", d(&pkg.0), "--data-dir", d(&data.0)], None);
    assert!(out(&o).contains("0 created, 1 updated, 7 unchanged"), "{}", out(&o));
    assert_eq!(export_counts(&data.0, "exp-ok"), (2, 2));
    // CSV export writes a data package that imports again.
    let exp = dir("exp-csv");
    let o = lantern(&["directory", "export", "--format", "csv", d(&exp.0), "--data-dir", d(&data.0)], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(exp.0.join("datapackage.json").is_file() && exp.0.join("service_at_location.csv").is_file());
    let o = lantern(&["directory", "import", d(&exp.0), "--data-dir", d(&data.0)], None);
    assert!(out(&o).contains("0 created, 0 updated, 8 unchanged"), "{}", out(&o));
    let o = lantern(&["directory", "export", "--format", "xml", d(&exp.0), "--data-dir", d(&data.0)], None);
    assert!(!o.status.success() && out(&o).contains("use json or csv"), "{}", out(&o));
}

#[test]
fn directory_import_refuses_corrupt_input_and_changes_nothing() {
    let data = dir("dir-bad");
    let pkg = dir("pkg-base");
    write_package(&pkg.0, &[]);
    assert!(lantern(&["directory", "import", d(&pkg.0), "--data-dir", d(&data.0)], None).status.success());
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("missing-column", "services.csv", b"id,organization_id,description\n100,1,x\n".to_vec(), "services.csv:1: name: required column is missing"),
        ("bad-time", "regular_schedules.csv", b"id,service_id,weekday,opens_at,closes_at\n1,100,Monday,9:00am,25:00\n".to_vec(), "regular_schedules.csv:2: closes_at: \"25:00\" is not a time"),
        ("bad-utf8", "organizations.csv", b"id,name,description\n1,Harbor Food Bank,ok\n2,Open Door \xff\xfe Center,x\n".to_vec(), "organizations.csv:3: name: not valid UTF-8"),
        ("duplicate-id", "services.csv", b"id,organization_id,name\n100,1,Food pantry\n200,2,Meetings\n100,1,Food pantry again\n".to_vec(), "services.csv:4: id: duplicate id \"100\" (first on line 2)"),
        ("dangling", "services_at_location.csv", b"id,service_id,location_id\n1000,100,10\n2000,200,99\n".to_vec(), "services_at_location.csv:3: location_id: \"99\" names no location"),
        ("truncated", "locations.csv", b"id,organization_id,name\n10,1,Harbor Food Bank Main\n20,2,\"Open Do".to_vec(), "locations.csv:3: -: the file ends inside a quoted field"),
        ("short-row", "phones.csv", b"id,service_id,number\n1,100,305-555-0100\n2,200\n".to_vec(), "phones.csv:3: -: the row has 2 fields but the header has 3"),
    ];
    for (tag, file, content, expected) in cases {
        let bad = dir(&format!("pkg-{tag}"));
        write_package(&bad.0, &[(file, &content)]);
        let o = lantern(&["directory", "import", d(&bad.0), "--data-dir", d(&data.0)], None);
        let text = out(&o);
        assert!(!o.status.success(), "{tag}: {text}");
        assert!(text.contains(expected), "{tag}: expected {expected:?} in:\n{text}");
        assert!(text.contains("nothing was imported"), "{tag}: {text}");
        // The database still holds the first import, unchanged.
        let o = lantern(&["directory", "import", d(&pkg.0), "--data-dir", d(&data.0)], None);
        assert!(out(&o).contains("0 created, 0 updated, 8 unchanged"), "{tag}: {}", out(&o));
    }
    // --skip-invalid imports the rest and lists what was skipped.
    let bad = dir("pkg-skip");
    write_package(&bad.0, &[("services_at_location.csv", b"id,service_id,location_id\n1000,100,10\n2000,200,99\n")]);
    let fresh = dir("dir-skip");
    let o = lantern(&["directory", "import", d(&bad.0), "--skip-invalid", "--data-dir", d(&fresh.0)], None);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("services_at_location.csv:3: location_id") && text.contains("1 row(s) rejected and skipped"), "{text}");
    assert!(text.contains("1 service_at_locations"), "{text}");
}

#[test]
fn directory_import_miami_counts() {
    let Some(miami) = shared_data("hsds/open211-miami-hsds-1.1") else { return };
    let data = dir("dir-miami");
    let o = lantern(&["directory", "import", d(&miami), "--data-dir", d(&data.0)], None);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    for expected in ["1,074 organizations", "4,089 services", "4,089 locations", "4,089 service_at_locations"] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    let o = lantern(&["directory", "import", d(&miami), "--data-dir", d(&data.0)], None);
    assert!(out(&o).contains("0 created, 0 updated, 13,341 unchanged"), "{}", out(&o));
    assert_eq!(export_counts(&data.0, "exp-miami"), (1074, 4089));
}
