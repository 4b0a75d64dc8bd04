//! # lantern-search
//!
//! The resource directory's search engine: in memory, no I/O, no database.
//! Callers turn their listings into [`ServiceDoc`]s, build an [`Index`] once
//! (rebuild on change), and run [`Query`]s.
//!
//! * **Text**: BM25F over name (boosted), alternate name, taxonomy term
//!   names, description and organization name. Each posting stores its
//!   precomputed weight, so a query only adds numbers. Words are folded
//!   (case, accents) and stemmed lightly (plural forms only: [`text::stem`]).
//! * **Typos**: a word missing from the directory (or in at most two
//!   services) is read as its nearest frequent neighbour within 1 edit (4+
//!   letters, or a three-letter word the directory does not have at all) or
//!   2 edits (8+ letters), found with a deletion dictionary
//!   (SymSpell) and checked with Damerau–Levenshtein: "fod pantry" finds
//!   food pantries.
//! * **Prefix**: the last word also matches the 16 most frequent longer words
//!   that start with it ("counsel" → counseling), at a lower weight.
//! * **Synonyms**: groups in `src/synonyms.txt` (detox ↔ withdrawal
//!   management, AA ↔ alcoholics anonymous, food bank ↔ food pantry, …);
//!   the longest phrase is matched first, and a synonym counts 0.8 of the
//!   words typed.
//! * **Several words**: a service's score is the sum over the query's
//!   words (or phrases) of its best alternative, times (matched/total)², so
//!   services matching every word come first without dropping partial ones.
//! * **Filters**: taxonomy, open now (DST-correct with jiff in the
//!   listing's time zone), language, free/low cost, accessibility, distance
//!   from a point or a ZIP centroid (mean of the directory's own geocoded
//!   locations in that ZIP), the viewer's organization (community listings
//!   plus its own private ones; others' private listings never appear).
//! * **Why**: every hit says which words matched which fields and how
//!   (exact, synonym, typo, prefix), open now until when, distance in km
//!   and miles, language, cost, and whether the listing is stale.
//!
//! [`query::parse`] turns "food pantry open now near 33125 spanish free"
//! into text plus filters and says which words became which filter.

pub mod doc;
#[cfg(feature = "hsds")]
pub mod from_hsds;
pub mod geo;
pub mod hours;
pub mod index;
pub mod query;
pub mod synonyms;
pub mod synth;
pub mod text;

#[cfg(feature = "hsds")]
pub use from_hsds::from_hsds;
pub use doc::{Cost, DocLocation, Interval, ServiceDoc, TaxonomyTerm};
pub use hours::OpenState;
pub use index::{BuildError, Field, Hit, Index, Ranking, Results, SearchError, Via, Why};
pub use query::{parse, CostFilter, Filter, Near, Parsed, Query, Recognized, Sort};
pub use synonyms::Synonyms;
