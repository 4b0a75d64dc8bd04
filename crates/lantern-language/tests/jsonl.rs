//! The JSONL stream contract and the human file format.
use lantern_language::jsonl::{check_jsonl, format_file_flags};
use lantern_language::Checker;

fn run(
    input: &[u8],
) -> (
    Vec<serde_json::Value>,
    String,
    lantern_language::jsonl::JsonlOutcome,
) {
    let c = Checker::builtin();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let o = check_jsonl(&c, input, &mut out, &mut err).expect("io");
    let s = String::from_utf8(out).expect("utf8 output");
    assert!(s.is_empty() || s.ends_with('\n'));
    let lines = s
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect();
    (lines, String::from_utf8_lossy(&err).into_owned(), o)
}

#[test]
fn one_line_per_input_in_order() {
    let input = b"{\"id\":\"a\",\"text\":\"he is an addict\"}\n{\"id\":\"b\",\"text\":\"nothing here\",\"extra\":1}\r\n{\"id\":\"c\",\"text\":\"She said she wants to die.\"}";
    let (lines, err, o) = run(input);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["flags"][0]["text"], "addict");
    assert_eq!(lines[0]["flags"][0]["start"], 9);
    assert_eq!(lines[0]["flags"][0]["end"], 15);
    assert_eq!(lines[0]["flags"][0]["severity"], "warn");
    assert!(lines[0]["flags"][0]["suggestions"].is_array());
    assert!(lines[0]["flags"][0]["reason"].is_string());
    assert_eq!(lines[0]["distress"]["flagged"], false);
    assert!(lines[0]["distress"]["level"].is_null());
    assert_eq!(lines[1]["flags"].as_array().map(|a| a.len()), Some(0));
    assert_eq!(lines[2]["distress"]["flagged"], true);
    assert_eq!(lines[2]["distress"]["level"], "concern");
    assert!(lines[2]["distress"]["cues"][0]["kind"].is_string());
    assert!(err.is_empty());
    assert_eq!(o.ok, 3);
    assert!(!o.any_bad());
}

#[test]
fn bad_lines_reported_in_place_and_processing_continues() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\":\"a\",\"text\":\"ok\"}\n");
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"{\"id\":\"c\"}\n");
    input.extend_from_slice(b"{\"id\":5,\"text\":\"x\"}\n");
    input.extend_from_slice(b"{\"id\":\"e\",\"text\":\"\xff\xfe\"}\n");
    input.extend_from_slice(b"[1,2]\n");
    input.extend_from_slice(b"{\"id\":\"g\",\"text\":\"he is an addict\"}\n");
    let (lines, err, o) = run(&input);
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["id"], "a");
    for (i, n) in [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)] {
        assert_eq!(lines[i]["line"], n, "{:?}", lines[i]);
        assert!(lines[i]["error"].is_string());
    }
    assert_eq!(lines[6]["id"], "g");
    assert!(err.contains("line 2:") && err.contains("line 5:"));
    assert_eq!(o.bad, 5);
    assert!(o.any_bad());
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    let input = b"\n{\"id\":\"a\",\"text\":\"x\"}\n   \n\nnope\n";
    let (lines, _, o) = run(input);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[1]["line"], 5);
    assert_eq!(o.lines, 5);
    assert_eq!(o.bad, 1);
}

#[test]
fn escaping_and_unicode_offsets() {
    let input =
        "{\"id\":\"q\\\"1\",\"text\":\"Caf\u{e9} \u{201c}x\u{201d} \\n he is an addict\\t\"}\n";
    let (lines, _, _) = run(input.as_bytes());
    assert_eq!(lines[0]["id"], "q\"1");
    let text = "Caf\u{e9} \u{201c}x\u{201d} \n he is an addict\t";
    let f = &lines[0]["flags"][0];
    let (s, e) = (
        f["start"].as_u64().unwrap_or(0) as usize,
        f["end"].as_u64().unwrap_or(0) as usize,
    );
    assert_eq!(&text[s..e], "addict");
}

#[test]
fn file_format() {
    let c = Checker::builtin();
    let text = "First line is fine.\nSecond: é he is an addict.\n";
    let r = c.check(text);
    let out = format_file_flags("notes/a.txt", text, &r);
    let line = out.lines().next().unwrap_or_default();
    assert!(
        line.starts_with(
            "notes/a.txt:2:20: addict: \"addict\" → person with a substance use disorder ("
        ),
        "{line}"
    );
    assert!(r.has_warnings());
}
