//! Field-level validation errors shared by every form and API body.
//!
//! A `FieldError` names the field and carries a message key (looked up in the
//! web layer's message catalogue) plus a plain English detail for the API and
//! the CLI.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
    pub detail: String,
}

impl FieldError {
    pub fn new(field: &'static str, key: &'static str, detail: impl Into<String>) -> FieldError {
        FieldError { field, key, detail: detail.into() }
    }
}

/// All the problems found in one input, so a form can show every error at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
#[error("{}", self.summary())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn for_field(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }
    pub fn summary(&self) -> String {
        self.0.iter().map(|e| format!("{}: {}", e.field, e.detail)).collect::<Vec<_>>().join("; ")
    }
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// Characters that change how text displays without being seen: bidirectional
/// overrides and isolates (which can disguise a name) and zero-width spaces.
fn is_invisible_trick(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Trims and checks a free-text field's length in characters (not bytes).
pub fn text(
    errors: &mut ValidationErrors,
    field: &'static str,
    value: &str,
    required: bool,
    max_chars: usize,
) -> String {
    let v = value.trim_matches(|c: char| c.is_whitespace() || is_invisible_trick(c));
    if v.chars().any(is_invisible_trick) {
        errors.push(FieldError::new(field, "error-invisible-chars", "contains invisible direction or spacing characters"));
        return v.to_string();
    }
    if required && v.is_empty() {
        errors.push(FieldError::new(field, "error-required", "this field is required"));
    } else if v.chars().count() > max_chars {
        errors.push(FieldError::new(
            field,
            "error-too-long",
            format!("must be at most {max_chars} characters"),
        ));
    } else if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errors.push(FieldError::new(field, "error-control-chars", "contains control characters"));
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_only_is_empty_and_direction_tricks_are_refused() {
        let mut e = ValidationErrors::default();
        assert_eq!(text(&mut e, "legal_name", "\u{200B}", true, 10), "");
        assert_eq!(e.0[0].key, "error-required");
        let mut e = ValidationErrors::default();
        text(&mut e, "legal_name", "Zoë \u{202E}gnp.exe", true, 100);
        assert_eq!(e.0[0].key, "error-invisible-chars");
        let mut e = ValidationErrors::default();
        // Joiners inside emoji and scripts stay allowed.
        assert_eq!(text(&mut e, "legal_name", "👩\u{200D}👩 Kim", true, 100), "👩\u{200D}👩 Kim");
        assert!(e.is_empty());
    }
}
