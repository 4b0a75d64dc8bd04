//! Throughput and latency of the engine on deterministic note-like text.
//!
//! `cargo run --release --example bench [MB]` (default 20 MB). Prints MB/s on
//! one thread for ~2 KB notes and for one large text, and µs per 2 KB note.
use lantern_language::Checker;
use std::time::Instant;

/// Neutral progress-note sentences: most of a real record.
const NEUTRAL: &[&str] = &[
    "Met with member at the drop-in center to review her housing application and next steps.",
    "He reported sleeping better since the medication change and attended two meetings this week.",
    "We discussed transportation options and she decided to try the evening bus route.",
    "Member shared that his daughter visited on Sunday and they cooked dinner together.",
    "She tested positive for cannabis and we talked about her goals around use.",
    "Peer support plan updated; goals include employment, recovery supports and reconnecting with family.",
    "He described feeling anxious about court next Thursday and practiced grounding skills.",
    "Follow-up scheduled for Monday at 10:00; member will bring her ID and pay stubs.",
    "We called the benefits office together and confirmed the appointment for next week.",
    "She brought her resume and we updated it with her volunteer work at the food bank.",
    "Member attended the Tuesday peer group and shared a win about reconnecting with his brother.",
    "He asked for help finding a dentist who accepts Medicaid, and we made a list of three clinics.",
    "We walked to the library so she could renew her card and sign up for the computer class.",
    "Member reports his mood has been steady and he is enjoying the new job at the warehouse.",
    "She is a person in long-term recovery and co-facilitates the Thursday group.",
    "We reviewed the safety plan she made last month and she said it still fits.",
    "He declined the referral for now and wants to revisit it after his court date.",
    "The landlord refused to fix the heater, so we called code enforcement together.",
    "We picked up clean clothes and a coat from the clothing closet on Main Street.",
    "She attends the Alcoholics Anonymous meeting at St. Mark's on Tuesdays at 7 pm.",
    "Member said, \u{201c}I\u{2019}ve been clean since my daughter was born,\u{201d} and smiled.",
    "Denies SI/HI. Mood is pretty good today and she is excited about the new apartment.",
    "Client reports no suicidal thoughts and named three reasons for living.",
    "He uses medication for opioid use disorder and has not missed a dose this month.",
];

/// Sentences with stigmatizing terms or distress cues.
const FLAGGED: &[&str] = &[
    "Client was non-compliant with his medications over the holiday weekend.",
    "He is an addict who has been sleeping at the bus station, per shelter staff.",
    "Member has been clean for 90 days and wants to celebrate with her kids.",
    "Staff at the shelter describe him as manipulative and drug-seeking.",
    "Per the clinic, his last UA came back dirty for fentanyl.",
    "She refused to go to the housing interview this morning.",
    "He said he has been thinking about killing himself every night this week.",
    "She said everyone would be better off without her.",
];

/// A note of about `note_bytes`: each sentence is flagged with probability
/// `flagged_pct` percent.
fn note(rng: &mut Lcg, note_bytes: usize, flagged_pct: usize) -> String {
    let mut note = String::with_capacity(note_bytes + 200);
    while note.len() < note_bytes {
        if !note.is_empty() {
            note.push(' ');
        }
        let pool = if rng.next() % 100 < flagged_pct {
            FLAGGED
        } else {
            NEUTRAL
        };
        note.push_str(pool[rng.next() % pool.len()]);
    }
    note
}

/// CPU time of this thread in seconds (Linux), so a busy machine does not
/// distort the figures; falls back to wall time elsewhere.
fn cpu_secs() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn notes(total: usize, note_bytes: usize, flagged_pct: usize) -> Vec<String> {
    let mut rng = Lcg(20240611);
    let mut out = Vec::new();
    let mut size = 0;
    while size < total {
        let n = note(&mut rng, note_bytes, flagged_pct);
        size += n.len();
        out.push(n);
    }
    out
}

struct Run {
    bytes: usize,
    notes: usize,
    flags: usize,
    warn_notes: usize,
    distress_notes: usize,
    wall: f64,
    cpu: Option<f64>,
    lat: Vec<f64>,
}

fn run(checker: &Checker, ns: &[String]) -> Run {
    let bytes: usize = ns.iter().map(|n| n.len()).sum();
    for n in ns.iter().take(200) {
        std::hint::black_box(checker.check(n));
    }
    let (mut flags, mut warn_notes, mut distress_notes) = (0, 0, 0);
    let t = Instant::now();
    let c0 = cpu_secs();
    for n in ns {
        let r = checker.check(n);
        flags += r.flags.len();
        warn_notes += r.has_warnings() as usize;
        distress_notes += r.distress.flagged as usize;
    }
    let wall = t.elapsed().as_secs_f64();
    let cpu = match (c0, cpu_secs()) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    let mut lat: Vec<f64> = Vec::with_capacity(ns.len().min(5000));
    for n in ns.iter().take(5000) {
        let t = Instant::now();
        std::hint::black_box(checker.check(n));
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Run {
        bytes,
        notes: ns.len(),
        flags,
        warn_notes,
        distress_notes,
        wall,
        cpu,
        lat,
    }
}

fn report(name: &str, r: &Run) {
    let mb = r.bytes as f64 / 1e6;
    println!(
        "{name}: {} notes x ~{} B = {:.1} MB; {} flags, {} notes with a warn flag, {} with distress",
        r.notes,
        r.bytes / r.notes.max(1),
        mb,
        r.flags,
        r.warn_notes,
        r.distress_notes
    );
    match r.cpu {
        Some(c) => println!(
            "  throughput, 1 thread: {:.1} MB/s per CPU-second ({:.1} MB/s wall)",
            mb / c,
            mb / r.wall
        ),
        None => println!("  throughput, 1 thread: {:.1} MB/s wall", mb / r.wall),
    }
    let pct = |p: usize| r.lat.get(r.lat.len() * p / 100).copied().unwrap_or(0.0);
    let mean = r.lat.iter().sum::<f64>() / r.lat.len().max(1) as f64;
    let cpu_per_note = r
        .cpu
        .map(|c| c * 1e6 / r.notes.max(1) as f64)
        .unwrap_or(mean);
    println!("  per 2 KB note: {cpu_per_note:.1} µs CPU; wall mean {mean:.1} µs, p50 {:.1} µs, p99 {:.1} µs", pct(50), pct(99));
}

fn main() {
    let mb: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20.0);
    let t0 = Instant::now();
    let checker = Checker::builtin();
    println!("checker build: {:.1} ms", t0.elapsed().as_secs_f64() * 1e3);
    let total = (mb * 1e6) as usize;
    // typical: 1 sentence in 8 carries a term or cue (already a heavily flagged record)
    report("typical notes", &run(&checker, &notes(total, 2048, 12)));
    // dense: every sentence is from the flagged pool half of the time (worst case)
    report("dense notes", &run(&checker, &notes(total / 2, 2048, 50)));
    // one large text: memory stays proportional to the text (no per-byte tables)
    let big: String = notes(5_000_000, 2048, 12).join("\n");
    let t = Instant::now();
    let c0 = cpu_secs();
    let r = checker.check(&big);
    let secs = match (c0, cpu_secs()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => t.elapsed().as_secs_f64(),
    };
    println!(
        "one {:.1} MB text: {:.1} MB/s ({} flags)",
        big.len() as f64 / 1e6,
        big.len() as f64 / 1e6 / secs,
        r.flags.len()
    );
}
