//! `lantern`: the one binary. Serve the web app, manage the database, users,
//! tokens and the audit trail, generate demo data, back up and restore.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use lantern_domain::Roles;
use lantern_store::demo::{DemoOptions, DemoPasswords, DEMO_ACCOUNTS, DEMO_ORG_SLUG};
use lantern_store::users::{NewUser, Who};
use lantern_store::{DbConfig, OpenOptions, Store, SystemClock};
use lantern_web::{AppState, HashCost, Hasher, WebConfig};

/// mimalloc instead of glibc's allocator: a page view allocates thousands of small
/// values across the async workers and SQLite's threads, and glibc's arenas spent
/// a sixth of the person page's CPU in malloc, free and their locks.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "lantern", version, about = "Lantern: a platform for peer support programs in behavioral health")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Db {
    /// Directory of the embedded SQLite database (default ./lantern-data).
    #[arg(long, env = "LANTERN_DATA_DIR", conflicts_with = "database_url")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL, e.g. postgres://lantern@127.0.0.1/lantern.
    #[arg(long, env = "LANTERN_DATABASE_URL")]
    database_url: Option<String>,
}

impl Db {
    fn config(&self) -> DbConfig {
        match (&self.database_url, &self.data_dir) {
            (Some(url), _) => DbConfig::Url(url.clone()),
            (None, Some(d)) => DbConfig::DataDir(d.clone()),
            (None, None) => DbConfig::DataDir(PathBuf::from("lantern-data")),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        db: Db,
        /// Start with a synthetic demo organization (made-up people only).
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (set this when an HTTPS reverse proxy is in front).
        #[arg(long, env = "LANTERN_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Trust X-Forwarded-For from the reverse proxy for client addresses.
        #[arg(long, env = "LANTERN_TRUST_PROXY")]
        trust_proxy: bool,
        /// The address people use to reach Lantern (used in invitation links).
        #[arg(long, env = "LANTERN_PUBLIC_URL")]
        public_url: Option<String>,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
        #[arg(long, env = "LANTERN_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key (PEM) for --tls-cert.
        #[arg(long, env = "LANTERN_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// SMTP server for invitation e-mails, e.g. smtp://user:pass@mail.example.org:587?tls=required.
        #[arg(long, env = "LANTERN_SMTP_URL", requires = "smtp_from")]
        smtp_url: Option<String>,
        /// The From address of invitation e-mails, e.g. "Lantern <lantern@example.org>".
        #[arg(long, env = "LANTERN_SMTP_FROM")]
        smtp_from: Option<String>,
        /// Sign-in attempts allowed per client address per minute.
        #[arg(long, env = "LANTERN_IP_ATTEMPTS_PER_MINUTE", default_value_t = 20)]
        ip_attempts_per_minute: i64,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        db: Db,
    },
    /// Organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Synthetic demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Check text for stigmatizing or non-recovery-oriented language and for signs of distress.
    ///
    /// With files: prints `file:line:col: rule: "text" → suggestion (reason)` and exits 1 when a
    /// warn-level flag is found. With --jsonl: reads {"id","text"} lines on standard input and
    /// writes one JSON result per line (exit 0 when every line was read, 2 if any line was bad).
    Check {
        /// Read JSON lines on standard input, write JSON lines on standard output.
        #[arg(long)]
        jsonl: bool,
        /// Files to check ("-" or none reads standard input).
        files: Vec<PathBuf>,
    },
    /// Reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// The community resource directory (Open Referral HSDS 3.1): import and export.
    Directory {
        #[command(subcommand)]
        command: DirectoryCommand,
    },
    /// Write a consistent copy of the database (safe while the server runs).
    Backup {
        file: PathBuf,
        #[command(flatten)]
        db: Db,
    },
    /// Verify a backup, then make it the database of --data-dir (which must have none).
    Restore {
        file: PathBuf,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Import HSDS data into the community directory: HSDS 3.x JSON (a file or a folder, as
    /// the HSDS API serves it), an HSDS 3.x CSV data package, or an HSDS 1.x/2.x (or Ohana) CSV
    /// package. One transaction: nothing is saved unless everything is (see --skip-invalid).
    /// Re-importing updates objects by id and records what changed.
    Import {
        path: PathBuf,
        /// Import the valid rows and report the rejected ones, instead of refusing the whole import.
        #[arg(long)]
        skip_invalid: bool,
        #[command(flatten)]
        db: Db,
    },
    /// Add N synthetic community listings (invented names, fictional 555-01xx numbers), the same
    /// for the same seed: for benchmarks and trying Lantern without real data.
    Generate {
        #[arg(long, default_value_t = 1000)]
        services: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        db: Db,
    },
    /// Show or change the directory's settings: public read access to /hsds/, the age after
    /// which a listing is flagged as possibly out of date, and the time zone for "open now".
    Settings {
        /// `on`: anyone may read /hsds/ without signing in; `off`: signed-in users and API tokens only.
        #[arg(long, value_parser = ["on", "off"])]
        public: Option<String>,
        /// Flag listings not checked for this many days (1 to 3650).
        #[arg(long)]
        stale_after_days: Option<i64>,
        /// IANA time zone name, e.g. America/New_York.
        #[arg(long)]
        time_zone: Option<String>,
        #[command(flatten)]
        db: Db,
    },
    /// Export the community directory as HSDS 3.1: `json` (one JSON array per object type) or
    /// `csv` (a tabular data package with datapackage.json), into the folder OUT.
    Export {
        #[arg(long, default_value = "json")]
        format: String,
        out: PathBuf,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Units of service from signed notes by month, service code and payer (dates inclusive, in each organization's time zone).
    Units {
        /// First day (YYYY-MM-DD), included.
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD), included.
        #[arg(long)]
        to: String,
        /// csv (default) or table.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only this organization (its slug); default every organization.
        #[arg(long)]
        org: Option<String>,
        /// One row per peer specialist too.
        #[arg(long)]
        by_specialist: bool,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organization.
    Add {
        name: String,
        #[arg(long)]
        slug: String,
        /// IANA time zone, e.g. America/Chicago.
        #[arg(long, default_value = "America/New_York")]
        time_zone: String,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account. The password is read from standard input (one line).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: peer, specialist, supervisor, admin.
        #[arg(long)]
        roles: String,
        /// Organization slug (optional when there is only one).
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value = "")]
        credentials: String,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal API token; prints it once, as the last word of the last line.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every organization's hash chain; names the first bad row.
    Verify {
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Generate the demo organization with N synthetic people (deterministic per seed).
    Generate {
        #[arg(long, default_value_t = 40)]
        people: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Signed encounter notes to generate over the last 18 months (e.g. 2000000 for the
        /// benchmark); one person on specialist@demo's caseload gets exactly 500. Default: a
        /// few hundred notes for the first people.
        #[arg(long, default_value_t = 0)]
        encounters: usize,
        /// Date the data is generated as of (default: today in America/New_York).
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        db: Db,
    },
}

fn hasher() -> Hasher {
    Hasher::new(if cfg!(debug_assertions) && std::env::var("LANTERN_CHEAP_HASH").is_ok() { HashCost::cheap() } else { HashCost::standard() })
}

async fn open(db: &Db, migrate: bool) -> Result<Store> {
    let cfg = db.config();
    let max_connections = std::env::var("LANTERN_DB_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    Store::open(&cfg, Arc::new(SystemClock), OpenOptions { max_connections, migrate }).await.map_err(|e| anyhow!("{}: {e}", cfg.describe()))
}

fn demo_password() -> (String, bool) {
    match std::env::var("LANTERN_DEMO_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => {
            let words = ["lantern", "river", "harbor", "meadow", "cedar", "ember", "willow", "summit", "beacon", "orchard"];
            let mut rng = rand::thread_rng();
            use rand::Rng;
            let pw = format!(
                "{}-{}-{}-{}",
                words[rng.gen_range(0..words.len())],
                words[rng.gen_range(0..words.len())],
                words[rng.gen_range(0..words.len())],
                rng.gen_range(100..1000)
            );
            (pw, true)
        }
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})").unwrap_or_else(|_| ProgressStyle::default_bar()));
    pb.set_message(what.to_string());
    pb
}

async fn generate_demo(store: &Store, people: usize, seed: u64, encounters: usize, as_of: Option<&str>, password: &str) -> Result<lantern_store::demo::DemoSummary> {
    let as_of = match as_of {
        Some(s) => s.parse().map_err(|_| anyhow!("--as-of must be a date like 2026-11-23, got {s:?}"))?,
        None => lantern_store::people::today_in("America/New_York", store.now_ms()),
    };
    let hash = hasher().hash_blocking(password).map_err(|e| anyhow!("hashing: {e}"))?;
    let pb = bar(people as u64, "people");
    let main = people.min(60);
    let summary = store
        .generate_demo(&DemoOptions { people, seed, as_of, main_caseload: main, encounters }, &DemoPasswords { staff_hash: hash }, |n| pb.set_position(n as u64))
        .await?;
    pb.finish_and_clear();
    Ok(summary)
}

fn main() {
    // The language checker needs no runtime or database: run it straight away.
    if let Some(code) = check_command() {
        std::process::exit(code);
    }
    async_main();
}

/// Runs `lantern check …` if that is the command; returns its exit code.
fn check_command() -> Option<i32> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) != Some("check") {
        return None;
    }
    let cli = Cli::parse();
    let Command::Check { jsonl, files } = cli.command else { return None };
    let checker = lantern_language::Checker::builtin();
    if jsonl {
        if !files.is_empty() {
            eprintln!("lantern check: --jsonl reads standard input; do not name files with it");
            return Some(2);
        }
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        return Some(match lantern_language::jsonl::check_jsonl(&checker, stdin.lock(), stdout.lock(), std::io::stderr()) {
            Ok(outcome) if outcome.any_bad() => 2,
            Ok(_) => 0,
            Err(e) => {
                eprintln!("lantern check: {e}");
                2
            }
        });
    }
    let mut warned = false;
    let mut broken = false;
    let inputs: Vec<PathBuf> = if files.is_empty() { vec![PathBuf::from("-")] } else { files };
    let mut out = String::new();
    for path in inputs {
        let name = path.display().to_string();
        let bytes = if name == "-" {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b).map(|_| b)
        } else {
            std::fs::read(&path)
        };
        let text = match bytes.map(String::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                eprintln!("{name}: not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to());
                broken = true;
                continue;
            }
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                broken = true;
                continue;
            }
        };
        let report = checker.check(&text);
        warned |= report.has_warnings();
        out.push_str(&lantern_language::jsonl::format_file_flags(&name, &text, &report));
        if let Some(level) = report.distress.level {
            let cues: Vec<String> = report.distress.cues.iter().map(|c| format!("\"{}\" ({})", c.text, c.kind)).collect();
            out.push_str(&format!("{name}: distress ({}): {} — bring the crisis protocol and the person's safety plan forward\n", level.as_str(), cues.join(", ")));
        }
    }
    print!("{out}");
    Some(if broken { 2 } else if warned { 1 } else { 0 })
}

/// `1074` → `1,074`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where `serve --demo` looks for the Miami 211 directory (not shipped: it has no licence).
fn demo_directory_source() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LANTERN_DEMO_DIRECTORY") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    let p = PathBuf::from("../shared/data/hsds/open211-miami-hsds-1.1");
    p.exists().then_some(p)
}

/// Fills an empty community directory for the demo: the Miami 211 data when it is
/// on this machine, otherwise 400 synthetic listings.
async fn seed_demo_directory(store: &Store) -> Result<()> {
    let empty = store.directory_services(lantern_store::directory::Viewer::Public, &Default::default(), lantern_store::directory::PageReq { page: 1, per_page: 1 }).await?.total_items == 0;
    if !empty {
        return Ok(());
    }
    let (dir, label) = match demo_directory_source().map(|p| (lantern_hsds::read_path(&p, lantern_hsds::ReadOptions { skip_invalid: true }), p)) {
        Some((Ok(l), p)) => (l.directory, format!("{}", p.display())),
        Some((Err(e), p)) => {
            eprintln!("Could not read the demo directory at {}: {e}; using synthetic listings instead.", p.display());
            (lantern_search::synth::hsds_directory(400, 1), "synthetic listings".to_string())
        }
        None => (lantern_search::synth::hsds_directory(400, 1), "synthetic listings".to_string()),
    };
    let s = store.directory_import(&dir, &label, "demo", 0, None, &Who::default(), &mut |_, _| {}).await?;
    eprintln!("Demo directory: {} services from {label} ({} objects).", thousands(dir.services.len()), thousands(s.created));
    Ok(())
}

async fn directory_import(path: &std::path::Path, skip_invalid: bool, db: &Db) -> Result<()> {
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let loaded = match lantern_hsds::read_path(path, lantern_hsds::ReadOptions { skip_invalid }) {
        Ok(l) => l,
        Err(lantern_hsds::HsdsError::Rejected(list)) => {
            for r in &list {
                eprintln!("{r}");
            }
            bail!("{} row(s) rejected; nothing was imported (fix them, or use --skip-invalid to import the rest)", thousands(list.len()));
        }
        Err(e) => return Err(e.into()),
    };
    for n in &loaded.notices {
        eprintln!("note: {n}");
    }
    for r in &loaded.rejected {
        eprintln!("{r}");
    }
    let read_ms = started.elapsed().as_millis();
    let store = open(db, true).await?;
    let bar = if std::io::stderr().is_terminal() {
        let b = ProgressBar::new(0);
        b.set_style(ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}").map_err(|e| anyhow!("{e}"))?.progress_chars("=> "));
        b.set_message("Importing");
        Some(b)
    } else {
        None
    };
    let mut progress = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let result = store
        .directory_import(&loaded.directory, &path.display().to_string(), &loaded.format.to_string(), loaded.rejected.len(), None, &Who::default(), &mut progress)
        .await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    store.close().await;
    let summary = result.context("nothing was imported")?;
    let c = loaded.directory.counts();
    println!("Imported {} ({}):", path.display(), loaded.format);
    for (label, n) in c.labelled() {
        println!("  {} {label}", thousands(n));
    }
    println!(
        "{} created, {} updated, {} unchanged (import run {}).",
        thousands(summary.created),
        thousands(summary.updated),
        thousands(summary.unchanged),
        summary.run_id
    );
    if !loaded.rejected.is_empty() {
        println!("{} row(s) rejected and skipped (listed above).", thousands(loaded.rejected.len()));
    }
    println!("Read in {read_ms} ms, saved in {} ms.", started.elapsed().as_millis() - read_ms);
    Ok(())
}

#[tokio::main]
async fn async_main() {
    if let Err(e) = run().await {
        eprintln!("lantern: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LANTERN_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")))
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Check { .. } => bail!("`check` runs before the runtime starts"),
        Command::Serve { addr, db, demo, secure_cookies, trust_proxy, public_url, tls_cert, tls_key, smtp_url, smtp_from, ip_attempts_per_minute } => {
            let started = std::time::Instant::now();
            let store = open(&db, true).await?;
            if demo {
                let (password, generated) = demo_password();
                if store.org_by_slug(DEMO_ORG_SLUG).await?.is_none() {
                    let s = generate_demo(&store, 40, 1, 0, None, &password).await?;
                    eprintln!("Demo organization created with {} synthetic people.", s.people);
                } else {
                    let hash = hasher().hash_blocking(&password).map_err(|e| anyhow!("hashing: {e}"))?;
                    for email in DEMO_ACCOUNTS {
                        if let Some(u) = store.user_by_email(email).await? {
                            store.set_password(&u, &hash, None, &Who::default()).await?;
                        }
                    }
                }
                seed_demo_directory(&store).await?;
                if generated {
                    println!("Demo accounts: {} — password: {password}", DEMO_ACCOUNTS.join(", "));
                } else {
                    println!("Demo accounts: {} — password from LANTERN_DEMO_PASSWORD", DEMO_ACCOUNTS.join(", "));
                }
            }
            let mailer = match (&smtp_url, &smtp_from) {
                (Some(url), Some(from)) => Some(lantern_web::mail::Mailer::new(url, from).map_err(|e| anyhow!(e))?),
                _ => None,
            };
            let tls = tls_cert.is_some();
            let scheme = if tls { "https" } else { "http" };
            let config = WebConfig {
                secure_cookies: secure_cookies || tls,
                trust_proxy,
                demo,
                public_url: public_url.unwrap_or_else(|| format!("{scheme}://{addr}")),
                ip_attempts_per_minute,
                mailer,
                ..WebConfig::default()
            };
            let state = AppState::new(store.clone(), hasher(), config)?;
            let app = lantern_web::app(state);
            if let (Some(cert), Some(key)) = (tls_cert, tls_key) {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let tls_config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                    .await
                    .with_context(|| format!("--tls-cert {} / --tls-key {}: cannot load the certificate and key", cert.display(), key.display()))?;
                let handle = axum_server::Handle::new();
                let shutdown = handle.clone();
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    shutdown.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
                });
                let listener = std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
                println!("Lantern is ready at https://{addr}/ ({}; started in {} ms)", db.config().describe(), started.elapsed().as_millis());
                axum_server::from_tcp_rustls(listener, tls_config)
                    .context("TLS listener")?
                    .handle(handle)
                    .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                    .await?;
            } else {
                let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
                println!("Lantern is ready at http://{addr}/ ({}; started in {} ms)", db.config().describe(), started.elapsed().as_millis());
                axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                    .with_graceful_shutdown(async {
                        let _ = tokio::signal::ctrl_c().await;
                    })
                    .await?;
            }
            store.close().await;
            Ok(())
        }
        Command::Directory { command: DirectoryCommand::Import { path, skip_invalid, db } } => directory_import(&path, skip_invalid, &db).await,
        Command::Directory { command: DirectoryCommand::Generate { services, seed, db } } => {
            if !(1..=1_000_000).contains(&services) {
                bail!("--services must be from 1 to 1,000,000, not {services}");
            }
            let started = std::time::Instant::now();
            let dir = lantern_search::synth::hsds_directory(services, seed);
            let store = open(&db, true).await?;
            let s = store.directory_import(&dir, &format!("synthetic:{services}:{seed}"), "synthetic", 0, None, &Who::default(), &mut |_, _| {}).await;
            store.close().await;
            let s = s.context("nothing was saved")?;
            println!(
                "{} synthetic services ({} created, {} updated, {} unchanged) in {} ms.",
                thousands(services),
                thousands(s.created),
                thousands(s.updated),
                thousands(s.unchanged),
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Command::Directory { command: DirectoryCommand::Settings { public, stale_after_days, time_zone, db } } => {
            let store = open(&db, true).await?;
            let s = if public.is_none() && stale_after_days.is_none() && time_zone.is_none() {
                store.directory_settings().await?
            } else {
                store.set_directory_settings(public.as_deref().map(|p| p == "on"), stale_after_days, time_zone.as_deref()).await?
            };
            store.close().await;
            println!("public read access: {}", if s.public_read { "on" } else { "off" });
            println!("stale after: {} days", s.stale_after_days);
            println!("time zone: {}", s.time_zone);
            Ok(())
        }
        Command::Directory { command: DirectoryCommand::Export { format, out, db } } => {
            let write: fn(&lantern_hsds::Directory, &std::path::Path) -> Result<(), lantern_hsds::HsdsError> = match format.as_str() {
                "json" => lantern_hsds::export::write_json,
                "csv" => lantern_hsds::export::write_csv,
                other => bail!("--format {other:?}: use json or csv"),
            };
            let store = open(&db, true).await?;
            let dir = store.directory_export(lantern_store::directory::Viewer::Public).await?;
            store.close().await;
            write(&dir, &out)?;
            let c = dir.counts();
            println!(
                "Exported {} organizations, {} services, {} locations, {} service_at_locations, {} taxonomies, {} taxonomy_terms as HSDS 3.1 {format} into {}.",
                thousands(c.organizations), thousands(c.services), thousands(c.locations), thousands(c.service_at_locations), thousands(c.taxonomies), thousands(c.taxonomy_terms), out.display()
            );
            Ok(())
        }
        Command::Migrate { db } => {
            let store = open(&db, true).await?;
            store.check_integrity().await?;
            store.close().await;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::Org { command: OrgCommand::Add { name, slug, time_zone, db } } => {
            let store = open(&db, true).await?;
            let org = store.create_org(&name, &slug, &time_zone, false).await?;
            store.close().await;
            println!("Organization {} ({}) added, id {}.", org.name, org.slug, org.id);
            Ok(())
        }
        Command::User { command: UserCommand::Add { email, name, roles, org, credentials, db } } => {
            let roles = Roles::parse_list(&roles).map_err(|e| anyhow!("--roles: {e}"))?;
            if !lantern_domain::person::looks_like_email(&email) {
                bail!("--email: {email:?} is not an e-mail address");
            }
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from standard input")?;
            let password = password.lines().next().unwrap_or("").to_string();
            if let Err(key) = lantern_web::auth::check_new_password(&password, &email) {
                bail!("password on standard input: {}", match key {
                    "error-password-short" => "needs at least 12 characters",
                    "error-password-long" => "is too long",
                    _ => "is too easy to guess",
                });
            }
            let store = open(&db, true).await?;
            let orgs = store.orgs().await?;
            let org = match org {
                Some(slug) => orgs.iter().find(|o| o.slug == slug).ok_or_else(|| anyhow!("--org: no organization {slug:?}"))?,
                None if orgs.len() == 1 => &orgs[0],
                None if orgs.is_empty() => bail!("there is no organization yet; add one with `lantern org add NAME --slug SLUG`"),
                None => bail!("--org is needed: there are {} organizations", orgs.len()),
            };
            let hash = hasher().hash_blocking(&password).map_err(|e| anyhow!("hashing: {e}"))?;
            let u = store
                .create_user(&NewUser { org_id: org.id, email, display_name: name, credentials, roles, password_hash: Some(hash), person_id: None, active: true }, &Who::default())
                .await?;
            store.close().await;
            println!("Account {} added ({}).", u.email, u.roles.to_list());
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { user, name, db } } => {
            let store = open(&db, false).await?;
            let u = store.user_by_email(&user).await?.ok_or_else(|| anyhow!("--user: no account {user:?}"))?;
            if !u.active {
                bail!("--user: the account {user} is deactivated");
            }
            let token = lantern_web::auth::new_api_token();
            store.create_api_token(&u, &lantern_web::auth::secret_hash(&token), &name).await?;
            store.close().await;
            println!("API token for {} (shown once; keep it secret):", u.email);
            println!("{token}");
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { db } } => {
            let store = open(&db, false).await?;
            let pb = ProgressBar::new_spinner();
            let result = store.verify_audit(|n| pb.set_message(format!("{n} rows checked"))).await?;
            pb.finish_and_clear();
            store.close().await;
            match result {
                Ok(report) => {
                    for (org, rows, head) in &report.chains {
                        println!("organization {org}: {rows} rows, chain intact, head {head}");
                    }
                    println!("The audit trail verifies.");
                    Ok(())
                }
                Err(b) => bail!("audit trail broken: {b}"),
            }
        }
        Command::Demo { command: DemoCommand::Generate { people, seed, encounters, as_of, db } } => {
            let store = open(&db, true).await?;
            let (password, generated) = demo_password();
            let started = std::time::Instant::now();
            let s = generate_demo(&store, people, seed, encounters, as_of.as_deref(), &password).await?;
            store.close().await;
            println!("Generated {} synthetic people and {} specialists in {:.1} s (seed {seed}).", s.people, s.specialists, started.elapsed().as_secs_f64());
            if let Some(e) = &s.encounters {
                println!(
                    "Encounter notes: {} ({} signed, {} group sessions, {} addenda).",
                    e.encounters, e.signed, e.group_sessions, e.addenda
                );
                if let Some(id) = e.busy_person_id {
                    println!("Person with {} notes on specialist@demo's caseload: /people/{id}", e.busy_person_encounters);
                }
            }
            if generated {
                println!("Demo accounts: {} — password: {password}", DEMO_ACCOUNTS.join(", "));
            }
            Ok(())
        }
        Command::Report { command: ReportCommand::Units { from, to, format, org, by_specialist, db } } => {
            let from: jiff::civil::Date = from.parse().map_err(|_| anyhow!("--from must be a date like 2026-03-01, got {from:?}"))?;
            let to: jiff::civil::Date = to.parse().map_err(|_| anyhow!("--to must be a date like 2026-03-31, got {to:?}"))?;
            if to < from {
                bail!("the range is inverted: --to {to} is before --from {from}");
            }
            if format != "csv" && format != "table" {
                bail!("--format must be csv or table, got {format:?}");
            }
            let store = open(&db, false).await?;
            let orgs = store.orgs().await?;
            let orgs: Vec<_> = match &org {
                Some(slug) => orgs.into_iter().filter(|o| &o.slug == slug).collect(),
                None => orgs,
            };
            if orgs.is_empty() {
                bail!("no organization {:?} in this database", org.unwrap_or_default());
            }
            let mut out = String::new();
            for (i, o) in orgs.iter().enumerate() {
                let rows = store.units_report(o.id, from, to, by_specialist).await?;
                let csv = lantern_store::encounters::units_csv(&rows, by_specialist);
                for (j, line) in csv.lines().enumerate() {
                    if j == 0 {
                        if i == 0 {
                            out.push_str(&format!("organization,{line}\n"));
                        }
                    } else {
                        out.push_str(&format!("{},{line}\n", o.slug));
                    }
                }
            }
            store.close().await;
            if format == "csv" {
                print!("{out}");
            } else {
                for line in out.lines() {
                    println!("{}", line.split(',').map(|c| format!("{c:<16}")).collect::<Vec<_>>().join(" "));
                }
            }
            Ok(())
        }
        Command::Backup { file, db } => {
            let store = open(&db, false).await?;
            store.backup_to(&file).await?;
            store.close().await;
            let check = lantern_store::backup::verify_backup(&file, &std::env::temp_dir().join(format!("lantern-verify-{}", std::process::id()))).await?;
            println!("Backup written to {} and verified: {} people, {} users, {} audit rows.", file.display(), check.people, check.users, check.audit_rows);
            Ok(())
        }
        Command::Restore { file, db } => {
            let DbConfig::DataDir(dir) = db.config() else { bail!("restore works with --data-dir (SQLite); for PostgreSQL use pg_restore") };
            let target = dir.join("lantern.db");
            if target.exists() {
                bail!("{} already has a database; restore into an empty --data-dir (or move the old one away first)", dir.display());
            }
            let scratch = std::env::temp_dir().join(format!("lantern-restore-{}", std::process::id()));
            let check = lantern_store::backup::verify_backup(&file, &scratch).await.map_err(|e| anyhow!("{}: {e}", file.display()))?;
            std::fs::create_dir_all(&dir)?;
            let tmp = dir.join("lantern.db.restoring");
            std::fs::copy(&file, &tmp)?;
            std::fs::rename(&tmp, &target)?;
            let _ = std::fs::remove_dir_all(&scratch);
            println!("Restored {} into {}: {} people, {} users, {} audit rows; audit chain verified.", file.display(), dir.display(), check.people, check.users, check.audit_rows);
            Ok(())
        }
    }
}
