//! A small `multipart/form-data` reader for the few forms that upload a file
//! (training certificates, signed advance directives). Whole bodies only (they are size-limited by the
//! route), text fields as UTF-8, one file per field.

/// Largest request body on an upload route (a 2 MB certificate plus the form,
/// or its base64 in JSON; a signed advance directive of up to 3 MB plus the form).
pub const UPLOAD_LIMIT: usize = 4 * 1024 * 1024;

/// The routes that accept uploads (their body limit is `UPLOAD_LIMIT`).
pub fn is_upload_route(path: &str) -> bool {
    matches!(path, "/growth/trainings" | "/api/v1/trainings") || crate::wellness::UPLOAD_PATHS.contains(&path)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// Set for file fields (may be empty when no file was chosen).
    pub file_name: Option<String>,
    pub data: Vec<u8>,
}

fn boundary(content_type: &str) -> Option<String> {
    let (kind, rest) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    rest.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    }).filter(|b| !b.is_empty() && b.len() <= 200)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1].iter().position(|&b| b == first) {
            Some(off) => {
                let at = i + off;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
            None => return None,
        }
    }
    None
}

fn param(header: &str, key: &str) -> Option<String> {
    // `form-data; name="x"; filename="y"` (quoted values; quotes inside are not expected from browsers).
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Splits a multipart body into its parts, or says what is wrong with it.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let b = boundary(content_type).ok_or("the form is not multipart/form-data with a boundary")?;
    let delim = format!("--{b}").into_bytes();
    let mut close = b"\r\n".to_vec();
    close.extend_from_slice(&delim);
    let mut pos = find(body, &delim, 0).ok_or("the form has no parts")? + delim.len();
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err("the form is malformed".into());
        }
        pos += 2;
        let head_end = find(body, b"\r\n\r\n", pos).ok_or("a form part has no end of headers")?;
        let head = std::str::from_utf8(&body[pos..head_end]).map_err(|_| "form part headers are not text")?;
        let disposition = head
            .split("\r\n")
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition")).map(|(_, v)| v.trim().to_string()))
            .ok_or("a form part has no name")?;
        let name = param(&disposition, "name").ok_or("a form part has no name")?;
        let file_name = param(&disposition, "filename");
        let start = head_end + 4;
        let end = find(body, &close, start).ok_or("the form ends early")?;
        parts.push(Part { name, file_name, data: body[start..end].to_vec() });
        if parts.len() > 200 {
            return Err("the form has too many fields".into());
        }
        pos = end + close.len();
    }
}

/// One text field of a multipart body (for the CSRF check).
pub fn text_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    parse(content_type, body).ok()?.into_iter().find(|p| p.name == name && p.file_name.is_none()).and_then(|p| String::from_utf8(p.data).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, file, data) in parts {
            out.extend_from_slice(b"--XyZ\r\n");
            match file {
                Some(f) => out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes()),
                None => out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        out
    }

    #[test]
    fn fields_and_files_come_back_byte_for_byte() {
        let pdf = b"%PDF-1.4 --XyZ is not a delimiter without a line break before it\r\n\x00\xff".to_vec();
        let b = body(&[("csrf", None, b"tok"), ("title", None, "Éthique".as_bytes()), ("certificate", Some("c.pdf"), &pdf), ("empty", Some(""), b"")]);
        let ct = "multipart/form-data; boundary=\"XyZ\"";
        let parts = parse(ct, &b).unwrap();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[1].data, "Éthique".as_bytes());
        assert_eq!(parts[2].file_name.as_deref(), Some("c.pdf"));
        assert_eq!(parts[2].data, pdf);
        assert_eq!(parts[3].data, b"");
        assert_eq!(text_field(ct, &b, "csrf").as_deref(), Some("tok"));
    }

    #[test]
    fn broken_bodies_are_errors_not_panics() {
        let ct = "multipart/form-data; boundary=XyZ";
        for b in [&b""[..], b"--XyZ", b"--XyZ\r\nno headers end", b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated"] {
            assert!(parse(ct, b).is_err());
        }
        assert!(parse("application/x-www-form-urlencoded", b"a=b").is_err());
    }
}
