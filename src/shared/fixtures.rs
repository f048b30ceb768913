//! Strict loading of fixture files: unknown fields are rejected and every
//! error names the file, the JSON path and the reason, on one line.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::de::DeserializeOwned;

use crate::shared::plugin::{MergeCount, StagedMerge};
use crate::shared::strict_json::Strict;

/// A fixture problem, rendered as `file: path: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FixtureError {
    pub(crate) file: String,
    /// JSON path such as `companies[0].uuid`; `.` for the document itself.
    pub(crate) path: String,
    pub(crate) reason: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `.` is the whole document (or directory): nothing to point at.
        match self.path.as_str() {
            "." => write!(f, "{}: {}", self.file, self.reason),
            path => write!(f, "{}: {path}: {}", self.file, self.reason),
        }
    }
}

impl FixtureError {
    pub(crate) fn new(file: impl Into<String>, path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// A fixture's text and the name errors should show for it.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) text: String,
}

impl Source {
    pub(crate) fn embedded(name: &str, text: &str) -> Self {
        Self {
            name: format!("(embedded) fixtures/{name}"),
            text: text.to_owned(),
        }
    }

    /// Reads `dir/name`; `Ok(None)` when the file does not exist.
    pub(crate) fn read(dir: &Path, name: &str) -> Result<Option<Self>, FixtureError> {
        let path: PathBuf = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(Self {
                name: path.display().to_string(),
                text,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FixtureError::new(path.display().to_string(), ".", e.to_string())),
        }
    }
}

/// Parses a fixture strictly. `T` should be `#[serde(deny_unknown_fields)]`
/// all the way down; the error carries the JSON path of the offending value.
pub(crate) fn parse<T: DeserializeOwned>(source: &Source) -> Result<T, FixtureError> {
    parse_str(&source.name, &source.text)
}

pub(crate) fn parse_str<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, FixtureError> {
    // Editors on Windows save UTF-8 with a byte-order mark; JSON (RFC 8259)
    // lets a reader ignore it, and a fixture file is read, not relayed.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let de = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(Strict(&mut *de)).map_err(|e| {
        let path = json_path(e.path());
        let inner = e.into_inner();
        // serde_json appends " at line L column C"; keep it, it helps in big files.
        FixtureError::new(name, path, in_words(&inner.to_string()))
    })?;
    // Whatever follows the document would otherwise be silently ignored.
    de.end()
        .map_err(|e| FixtureError::new(name, ".", e.to_string()))?;
    Ok(value)
}

/// serde's message with Rust's type names in words: `expected f64` means
/// nothing to someone writing JSON.
fn in_words(message: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected u8", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected i16", "expected a whole number"),
        ("expected i8", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
    ];
    NAMES.iter().fold(message.to_owned(), |text, (rust, words)| {
        text.replace(rust, words)
    })
}

/// serde_path_to_error writes `?` when a syntax error has no position in the
/// document's structure; `.` (the document) reads better.
pub(crate) fn json_path(path: &serde_path_to_error::Path) -> String {
    match path.to_string().as_str() {
        "?" | "" => ".".to_owned(),
        p => p.to_owned(),
    }
}

/// What errors about a posted fixtures document name as its file.
pub(crate) const POSTED: &str = "(posted)";

/// How errors name a family's file once merged into a posted document:
/// `(posted) engine.json`.
pub(crate) fn posted_file(file: &str) -> String {
    format!("{POSTED} {file}")
}

/// Parses a family's member of a posted document with the files'
/// strictness; errors name the JSON path from the document
/// (`engine.companies[0].uuid`).
pub(crate) fn parse_posted<T: DeserializeOwned>(member: &str, text: &str) -> Result<T, FixtureError> {
    parse_str(POSTED, text).map_err(|e| FixtureError {
        path: match e.path.as_str() {
            "." => member.to_owned(),
            path => format!("{member}.{path}"),
        },
        ..e
    })
}

/// A family's fixtures: those loaded at start (reset returns to them) and
/// those in force, runtime merges included.
#[derive(Debug)]
pub(crate) struct FixtureSet<F> {
    /// Where the loaded fixtures came from.
    pub(crate) origin: String,
    loaded: Arc<F>,
    current: Mutex<Arc<F>>,
}

impl<F> FixtureSet<F> {
    pub(crate) fn new(origin: String, loaded: Arc<F>) -> Self {
        Self {
            origin,
            current: Mutex::new(loaded.clone()),
            loaded,
        }
    }

    pub(crate) fn loaded(&self) -> &Arc<F> {
        &self.loaded
    }

    /// The fixtures in force now.
    pub(crate) fn current(&self) -> Arc<F> {
        self.lock().clone()
    }

    pub(crate) fn replace(&self, fixtures: Arc<F>) {
        *self.lock() = fixtures;
    }

    /// Back to the loaded fixtures; the loaded ones when anything changed.
    pub(crate) fn restore(&self) -> Option<Arc<F>> {
        let mut current = self.lock();
        (!Arc::ptr_eq(&current, &self.loaded)).then(|| {
            *current = self.loaded.clone();
            self.loaded.clone()
        })
    }

    fn lock(&self) -> MutexGuard<'_, Arc<F>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A checked change, applied by running `apply` on commit.
pub(crate) struct Commit<A: FnOnce()> {
    count: MergeCount,
    apply: A,
}

impl<A: FnOnce()> Commit<A> {
    pub(crate) fn new(count: MergeCount, apply: A) -> Self {
        Self { count, apply }
    }
}

impl<A: FnOnce()> StagedMerge for Commit<A> {
    fn commit(self: Box<Self>) -> MergeCount {
        (self.apply)();
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        count: u32,
    }

    #[test]
    fn error_names_file_path_and_reason() {
        let err = parse_str::<Doc>(
            "f.json",
            r#"{"items":[{"name":"a","count":1},{"name":"b","count":"x"}]}"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            err.starts_with(
                "f.json: items[1].count: invalid type: string \"x\", expected a whole number, 0 or more"
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = parse_str::<Doc>("f.json", r#"{"items":[{"name":"a","count":1,"colour":"red"}]}"#)
            .err()
            .unwrap_or_else(|| FixtureError::new("", "", ""));
        assert_eq!(err.path, "items[0].colour");
        assert!(err.reason.starts_with("unknown field `colour`"), "{}", err.reason);
    }

    #[test]
    fn syntax_errors_name_the_document() {
        let err = parse_str::<Doc>("f.json", "{")
            .err()
            .unwrap_or_else(|| FixtureError::new("", "", ""));
        assert_eq!(err.path, ".");
        assert!(err.reason.contains("EOF"), "{}", err.reason);
    }

    #[test]
    fn a_byte_order_mark_is_read_past_and_whole_document_errors_have_no_path() {
        let parsed = parse_str::<Doc>("f.json", "\u{feff}{\"items\":[]}");
        assert!(parsed.is_ok(), "{parsed:?}");
        let err = parse_str::<Doc>("f.json", "{")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("f.json: EOF while parsing"), "{err}");
    }

    #[test]
    fn rust_type_names_are_said_in_words() {
        assert_eq!(
            in_words("invalid type: string \"x\", expected f64"),
            "invalid type: string \"x\", expected a number"
        );
        assert_eq!(
            in_words("invalid value: integer `-1`, expected u64"),
            "invalid value: integer `-1`, expected a whole number, 0 or more"
        );
    }
}
