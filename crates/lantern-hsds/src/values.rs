//! Parsing and checking of field values (times, dates, URLs, e-mail addresses, weekdays,
//! language names), shared by the readers. Each parser returns the reason when it refuses.

/// Parses an opening time as written in directories (`9:00am`, `9am`, `9:00 a.m.`, `17:30`,
/// `09:00:00`, `12:00 noon`, `09:00Z`, `09:00-05:00`) into HSDS `HH:MM` (with the zone suffix
/// kept when one was given).
pub fn parse_time(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_ascii_lowercase();
    if s.is_empty() {
        return Err("empty time".into());
    }
    if s == "noon" || s == "12 noon" || s == "12:00 noon" {
        return Ok("12:00".into());
    }
    if s == "midnight" {
        return Ok("00:00".into());
    }
    // Split off an ISO zone suffix: Z or ±HH:MM.
    let (body, zone) = if let Some(b) = s.strip_suffix('z') {
        (b.to_owned(), "Z".to_owned())
    } else if s.len() > 6 && (s.as_bytes()[s.len() - 6] == b'+' || s.as_bytes()[s.len() - 6] == b'-') && s.as_bytes()[s.len() - 3] == b':' {
        (s[..s.len() - 6].to_owned(), s[s.len() - 6..].to_owned())
    } else {
        (s.clone(), String::new())
    };
    let body = body.replace('.', "").replace(' ', "");
    let (digits, meridiem) = if let Some(b) = body.strip_suffix("am").or_else(|| body.strip_suffix('a')) {
        (b.to_owned(), Some(false))
    } else if let Some(b) = body.strip_suffix("pm").or_else(|| body.strip_suffix('p')) {
        (b.to_owned(), Some(true))
    } else if let Some(b) = body.strip_suffix("noon") {
        (b.to_owned(), None)
    } else {
        (body.clone(), None)
    };
    let parts: Vec<&str> = digits.split(':').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 2) {
        return Err(format!("{raw:?} is not a time (expected e.g. 9:00am or 17:30)"));
    }
    let mut h: u32 = parts[0].parse().map_err(|_| format!("{raw:?} is not a time"))?;
    let m: u32 = if parts.len() > 1 { parts[1].parse().map_err(|_| format!("{raw:?} is not a time"))? } else { 0 };
    let sec: u32 = if parts.len() > 2 { parts[2].parse().map_err(|_| format!("{raw:?} is not a time"))? } else { 0 };
    if parts.len() > 1 && parts[1].len() != 2 {
        return Err(format!("{raw:?} is not a time (minutes need two digits)"));
    }
    match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&h) {
                return Err(format!("{raw:?} is not a time (hour {h} with am/pm)"));
            }
            if pm && h != 12 {
                h += 12;
            } else if !pm && h == 12 {
                h = 0;
            }
        }
        None => {
            if h > 24 || (h == 24 && (m != 0 || sec != 0)) {
                return Err(format!("{raw:?} is not a time (hour {h})"));
            }
            if h == 24 {
                return Ok(format!("23:59{zone}"));
            }
        }
    }
    if m > 59 || sec > 59 {
        return Err(format!("{raw:?} is not a time (minute or second out of range)"));
    }
    Ok(format!("{h:02}:{m:02}{zone}"))
}

/// Parses a date into ISO `YYYY-MM-DD`. Accepts ISO dates (also with a time after them),
/// `MM/DD/YYYY`, `MM/DD/YY` and `Month DD, YYYY`.
pub fn parse_date(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = || format!("{raw:?} is not a date (expected YYYY-MM-DD)");
    let (y, m, d) = if s.len() >= 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' {
        let y: i32 = s[0..4].parse().map_err(|_| bad())?;
        let m: u32 = s[5..7].parse().map_err(|_| bad())?;
        let d: u32 = s[8..10].parse().map_err(|_| bad())?;
        if s.len() > 10 && !matches!(s.as_bytes()[10], b'T' | b' ') {
            return Err(bad());
        }
        (y, m, d)
    } else if s.contains('/') {
        let p: Vec<&str> = s.split('/').collect();
        if p.len() != 3 {
            return Err(bad());
        }
        let m: u32 = p[0].trim().parse().map_err(|_| bad())?;
        let d: u32 = p[1].trim().parse().map_err(|_| bad())?;
        let mut y: i32 = p[2].trim().parse().map_err(|_| bad())?;
        if p[2].trim().len() == 2 {
            y += 2000;
        }
        (y, m, d)
    } else {
        const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
        let t = s.replace(',', " ");
        let w: Vec<&str> = t.split_whitespace().collect();
        if w.len() != 3 {
            return Err(bad());
        }
        let lower = w[0].to_ascii_lowercase();
        let m = MONTHS.iter().position(|mm| lower.starts_with(mm)).ok_or_else(bad)? as u32 + 1;
        let d: u32 = w[1].parse().map_err(|_| bad())?;
        let y: i32 = w[2].parse().map_err(|_| bad())?;
        (y, m, d)
    };
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || !(1000..=9999).contains(&y) {
        return Err(format!("{raw:?} is not a valid date"));
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Checks an RFC 3339 date-time (`2024-01-31T12:00:00Z`, offsets and fractions allowed).
pub fn check_datetime(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = || format!("{raw:?} is not a date-time (expected e.g. 2024-01-31T12:00:00Z)");
    if s.len() < 20 || !matches!(s.as_bytes()[10], b'T' | b't') {
        return Err(bad());
    }
    parse_date(&s[..10]).map_err(|_| bad())?;
    let rest = &s[11..];
    let (time, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return Err(bad()),
    };
    let time = time.split('.').next().unwrap_or("");
    let tp: Vec<&str> = time.split(':').collect();
    if tp.len() != 3 || tp.iter().any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    if !(zone.eq_ignore_ascii_case("z") || (zone.len() == 6 && zone.as_bytes()[3] == b':')) {
        return Err(bad());
    }
    Ok(s.to_owned())
}

/// Normalizes a web address: adds `http://` when the scheme is missing (`www.example.org`).
/// Refuses text with spaces or without a dot in the host.
pub fn normalize_url(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.chars().any(char::is_whitespace) {
        return Err(format!("{raw:?} is not a web address (it contains spaces)"));
    }
    // A common slip: "https:/host".
    let fixed;
    let s = match s.split_once(":/") {
        Some((scheme, rest)) if (scheme == "http" || scheme == "https") && !rest.starts_with('/') => {
            fixed = format!("{scheme}://{rest}");
            fixed.as_str()
        }
        _ => s,
    };
    let with_scheme = if s.contains("://") || s.starts_with("mailto:") { s.to_owned() } else { format!("http://{s}") };
    let parsed = url::Url::parse(&with_scheme).map_err(|e| format!("{raw:?} is not a web address ({e})"))?;
    if parsed.scheme() != "mailto" && !parsed.host_str().is_some_and(|h| h.contains('.')) {
        return Err(format!("{raw:?} is not a web address"));
    }
    // The parsed form, with what RFC 3986 does not allow escaped (backslashes became
    // slashes, spaces were escaped by the parser; braces, pipes and the like are escaped here).
    Ok(rfc3986(parsed.as_str()))
}

/// Percent-encodes the characters WHATWG URLs keep but RFC 3986 refuses.
pub fn rfc3986(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '{' | '}' | '|' | '^' | '`' | '<' | '>' | '"' | ' ' | '\\' => out.push_str(&format!("%{:02X}", c as u32)),
            c if !c.is_ascii() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Checks the shape of an e-mail address (`name@host.tld`).
pub fn check_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = match s.split_once('@') {
        Some((local, host)) => {
            !local.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.') && !s.chars().any(char::is_whitespace) && !host.contains('@')
        }
        None => false,
    };
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!("{raw:?} is not an e-mail address"))
    }
}

/// The iCal two-letter day (`MO`…`SU`) for a weekday name or number (1 = Monday … 7 = Sunday).
pub fn weekday_code(raw: &str) -> Result<&'static str, String> {
    let s = raw.trim().to_ascii_lowercase();
    let code = match s.as_str() {
        "1" => "MO",
        "2" => "TU",
        "3" => "WE",
        "4" => "TH",
        "5" => "FR",
        "6" => "SA",
        "7" | "0" => "SU",
        _ if s.len() >= 2 => match &s[..2] {
            "mo" => "MO",
            "tu" => "TU",
            "we" => "WE",
            "th" => "TH",
            "fr" => "FR",
            "sa" => "SA",
            "su" => "SU",
            _ => return Err(format!("{raw:?} is not a day of the week")),
        },
        _ => return Err(format!("{raw:?} is not a day of the week")),
    };
    Ok(code)
}

/// Position of an iCal day code in the week (Monday first), for sorting.
pub fn weekday_index(code: &str) -> usize {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].iter().position(|d| *d == code).unwrap_or(7)
}

/// ISO 639-1 code for a common language name (English names as directories write them).
pub fn language_code(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    let n = n.split(['(', ',']).next().unwrap_or("").trim();
    Some(match n {
        "english" => "en",
        "spanish" | "español" | "espanol" => "es",
        "creole" | "haitian creole" | "haitian-creole" | "kreyol" | "kreyòl" => "ht",
        "french" => "fr",
        "portuguese" => "pt",
        "hebrew" => "he",
        "russian" => "ru",
        "arabic" => "ar",
        "italian" => "it",
        "greek" => "el",
        "yiddish" => "yi",
        "german" => "de",
        "chinese" | "mandarin" | "cantonese" => "zh",
        "vietnamese" => "vi",
        "tagalog" => "tl",
        "korean" => "ko",
        "japanese" => "ja",
        "hindi" => "hi",
        "polish" => "pl",
        "farsi" | "persian" => "fa",
        "urdu" => "ur",
        "american sign language" | "asl" => "ase",
        _ => return None,
    })
}

/// Cleans free text from older exports: literal `\n` sequences become line breaks, export
/// markers such as `###MON###` are removed, and surrounding space is trimmed.
pub fn clean_text(raw: &str) -> String {
    let mut s = raw.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", " ");
    while let Some(start) = s.find("###") {
        match s[start + 3..].find("###") {
            Some(len) if len > 0 && len <= 20 && s[start + 3..start + 3 + len].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                s.replace_range(start..start + 3 + len + 3, "");
            }
            _ => break,
        }
    }
    s.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_directories_write_them() {
        assert_eq!(parse_time("9:00am").unwrap(), "09:00");
        assert_eq!(parse_time("5:00pm").unwrap(), "17:00");
        assert_eq!(parse_time("12:00pm").unwrap(), "12:00");
        assert_eq!(parse_time("12:30am").unwrap(), "00:30");
        assert_eq!(parse_time("7:30 am ").unwrap(), "07:30");
        assert_eq!(parse_time("9am").unwrap(), "09:00");
        assert_eq!(parse_time("9:00a").unwrap(), "09:00");
        assert_eq!(parse_time("9:00 a.m.").unwrap(), "09:00");
        assert_eq!(parse_time("17:30").unwrap(), "17:30");
        assert_eq!(parse_time("09:00:00Z").unwrap(), "09:00Z");
        assert_eq!(parse_time("09:00-05:00").unwrap(), "09:00-05:00");
        assert!(parse_time("25:00").is_err());
        assert!(parse_time("13:00pm").is_err());
        assert!(parse_time("9:7").is_err());
        assert!(parse_time("soon").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-02-29").unwrap(), "2024-02-29");
        assert_eq!(parse_date("12/24/2015").unwrap(), "2015-12-24");
        assert_eq!(parse_date("12/24/15").unwrap(), "2015-12-24");
        assert_eq!(parse_date("January 01, 2014").unwrap(), "2014-01-01");
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-13-01").is_err());
        assert!(parse_date("yesterday").is_err());
        assert!(check_datetime("2024-01-31T12:00:00Z").is_ok());
        assert!(check_datetime("2024-01-31T12:00:00.5+01:00").is_ok());
        assert!(check_datetime("2024-01-31").is_err());
    }

    #[test]
    fn urls_emails_days_text() {
        assert_eq!(normalize_url("www.girlscoutsfl.org").unwrap(), "http://www.girlscoutsfl.org/");
        assert_eq!(normalize_url("http://a.edu\\b").unwrap(), "http://a.edu/b");
        assert_eq!(normalize_url("https:/www.a.org/x").unwrap(), "https://www.a.org/x");
        assert_eq!(normalize_url("https://a.org/x").unwrap(), "https://a.org/x");
        assert!(normalize_url("not a url").is_err());
        assert!(check_email("a@b.org").is_ok());
        assert!(check_email("a@b").is_err());
        assert_eq!(weekday_code("Monday").unwrap(), "MO");
        assert_eq!(weekday_code("7").unwrap(), "SU");
        assert!(weekday_code("Funday").is_err());
        assert_eq!(clean_text("Hours vary.\\n\\n###MON###"), "Hours vary.");
        assert_eq!(language_code("Spanish (limited)"), Some("es"));
    }
}
