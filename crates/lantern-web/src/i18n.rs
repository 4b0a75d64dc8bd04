//! The message catalogue. Every word the UI shows comes from a Fluent file
//! under `locales/`, so a translation is a new file, not a code change.
//! English ships now; `Catalog::load` takes any locale that has a file.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const EN_US: &str = include_str!("../locales/en-US/main.ftl");

/// One locale's messages.
pub struct Catalog {
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catalog")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("message catalogue {locale}: {problem}")]
pub struct CatalogError {
    pub locale: String,
    pub problem: String,
}

impl Catalog {
    /// The built-in English catalogue.
    pub fn english() -> Result<Catalog, CatalogError> {
        Catalog::load("en-US", EN_US)
    }

    pub fn load(locale: &str, source: &str) -> Result<Catalog, CatalogError> {
        let err = |problem: String| CatalogError { locale: locale.to_string(), problem };
        let lang: unic_langid::LanguageIdentifier = locale.parse().map_err(|e| err(format!("bad locale: {e}")))?;
        let resource = FluentResource::try_new(source.to_string()).map_err(|(_, errs)| err(format!("{} syntax error(s), first: {:?}", errs.len(), errs.first())))?;
        let mut bundle = FluentBundle::new_concurrent(vec![lang]);
        // No Unicode isolation marks: they confuse screen readers and copy/paste in plain HTML.
        bundle.set_use_isolating(false);
        bundle.add_resource(resource).map_err(|errs| err(format!("{} duplicate message(s)", errs.len())))?;
        Ok(Catalog { bundle })
    }

    /// The message for `key`; a missing key shows as the key itself (and a test catches it).
    pub fn get(&self, key: &str) -> String {
        self.format(key, None)
    }

    pub fn get_with(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.clone());
        }
        self.format(key, Some(&fa))
    }

    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(msg) = self.bundle.get_message(key) else { return key.to_string() };
        let Some(pattern) = msg.value() else { return key.to_string() };
        let mut errors = vec![];
        self.bundle.format_pattern(pattern, args, &mut errors).into_owned()
    }

    /// Every message id in the English source, for the completeness test.
    pub fn english_ids() -> Vec<String> {
        EN_US
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim()))
            .filter(|k| !k.is_empty() && !k.starts_with('#') && !k.starts_with(' ') && !k.starts_with('.'))
            .map(str::to_string)
            .collect()
    }
}

/// A view of the catalogue for templates: `t.get("key")`.
pub type Messages = std::sync::Arc<Catalog>;

/// Convenience for templates that need counts.
pub fn count_arg(n: i64) -> FluentValue<'static> {
    FluentValue::from(n)
}
