//! YAML documents as the loader reads them: a tree that keeps every number exact, and the
//! source line of any node, found on demand.
//!
//! serde_yaml reports positions only inside its errors, so the loader reads a document in up to
//! three passes over the same text:
//!
//! 1. [`read_documents`] builds a [`Yaml`] tree per document. Syntax errors, duplicate keys and
//!    non-string keys fail here with a line.
//! 2. When a document holds floating-point scalars, the same document is read again, shaped by
//!    the tree from pass 1, to keep each such scalar's text exactly as written (`0.1`, not the
//!    nearest binary fraction), so that quantities and prices are read without floating point.
//! 3. Only when the loader reports a problem, [`locate`] walks to the problem's path one more time
//!    and raises an error there: serde_yaml stamps it with that node's position.

use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, EnumAccess, IgnoredAny, MapAccess, SeqAccess, VariantAccess, Visitor};

/// One YAML node. Mapping keys are strings (other scalar keys are converted to text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Yaml {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in an `i128`.
    Int(i128),
    /// Any other number; `raw` is the text as written when known.
    Float { value: f64, raw: Option<String> },
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// A mapping, in the order written.
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    /// What the node is, for messages: `a mapping`, `a list`, `a string "abc"`, ...
    pub(crate) fn describe(&self) -> String {
        match self {
            Yaml::Null => "null".to_string(),
            Yaml::Bool(b) => format!("the boolean {b}"),
            Yaml::Int(i) => format!("the number {i}"),
            Yaml::Float { value, raw } => match raw {
                Some(r) => format!("the number {r}"),
                None => format!("the number {value}"),
            },
            Yaml::Str(s) => {
                let short: String = s.chars().take(40).collect();
                if short.len() < s.len() {
                    format!("the string {short:?}...")
                } else {
                    format!("the string {s:?}")
                }
            }
            Yaml::Seq(_) => "a list".to_string(),
            Yaml::Map(_) => "a mapping".to_string(),
        }
    }

    /// The scalar's text: a string as is, a number as written, a boolean as `true`/`false`.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float { value, raw } => Some(raw.clone().unwrap_or_else(|| format_float(*value))),
            Yaml::Bool(b) => Some(b.to_string()),
            Yaml::Null | Yaml::Seq(_) | Yaml::Map(_) => None,
        }
    }

    /// The value of a key in a mapping.
    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// This tree as a `serde_yaml::Value` (numbers as serde_yaml holds them).
    pub(crate) fn to_value(&self) -> serde_yaml::Value {
        use serde_yaml::{Number, Value};
        match self {
            Yaml::Null => Value::Null,
            Yaml::Bool(b) => Value::Bool(*b),
            Yaml::Int(i) => {
                if let Ok(u) = u64::try_from(*i) {
                    Value::Number(Number::from(u))
                } else if let Ok(s) = i64::try_from(*i) {
                    Value::Number(Number::from(s))
                } else {
                    Value::Number(Number::from(*i as f64))
                }
            }
            Yaml::Float { value, .. } => Value::Number(Number::from(*value)),
            Yaml::Str(s) => Value::String(s.clone()),
            Yaml::Seq(items) => Value::Sequence(items.iter().map(Yaml::to_value).collect()),
            Yaml::Map(entries) => {
                let mut m = serde_yaml::Mapping::new();
                for (k, v) in entries {
                    m.insert(Value::String(k.clone()), v.to_value());
                }
                Value::Mapping(m)
            }
        }
    }

    /// A tree from a `serde_yaml::Value` (tags dropped; floats without their original text).
    pub(crate) fn from_value(value: &serde_yaml::Value) -> Yaml {
        use serde_yaml::Value;
        match value {
            Value::Null => Yaml::Null,
            Value::Bool(b) => Yaml::Bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Yaml::Int(i128::from(u))
                } else if let Some(i) = n.as_i64() {
                    Yaml::Int(i128::from(i))
                } else {
                    Yaml::Float { value: n.as_f64().unwrap_or(f64::NAN), raw: None }
                }
            }
            Value::String(s) => Yaml::Str(s.clone()),
            Value::Sequence(items) => Yaml::Seq(items.iter().map(Yaml::from_value).collect()),
            Value::Mapping(m) => Yaml::Map(m.iter().map(|(k, v)| (value_key_text(k), Yaml::from_value(v))).collect()),
            Value::Tagged(t) => Yaml::from_value(&t.value),
        }
    }
}

fn value_key_text(k: &serde_yaml::Value) -> String {
    match Yaml::from_value(k) {
        Yaml::Null => String::new(),
        scalar @ (Yaml::Bool(_) | Yaml::Int(_) | Yaml::Float { .. } | Yaml::Str(_)) => {
            scalar.scalar_text().unwrap_or_default()
        }
        Yaml::Seq(_) | Yaml::Map(_) => serde_yaml::to_string(k).unwrap_or_default().trim_end().to_string(),
    }
}

/// A float as text without an exponent where that is short, as Go's YAML and JSON would print it
/// closely enough for error messages and for floats given without their source text.
fn format_float(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else if v.is_nan() {
        ".nan".to_string()
    } else if v > 0.0 {
        ".inf".to_string()
    } else {
        "-.inf".to_string()
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index (from 0).
    Index(usize),
}

/// A path as the loader prints it: `spec.limits.cpu`, `items[3].spec.containers[0]`.
pub(crate) fn render_path(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// A problem found while reading the YAML text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// The document (from 0).
    pub document: usize,
    /// The path serde_yaml was at, when it says.
    pub field: Option<String>,
    /// The line (from 1), when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// How many nodes a document may expand to through aliases, beyond its own size: a guard
/// against "billion laughs" documents.
fn node_budget(text: &str) -> usize {
    1_000_000usize.saturating_add(text.len().saturating_mul(16))
}

/// Reads every document of a text. Each document is `(index, tree)`; empty documents come back as
/// [`Yaml::Null`].
pub(crate) fn read_documents(text: &str) -> Result<Vec<Yaml>, SyntaxError> {
    let mut docs = Vec::new();
    // Two readers over the same text: the second is only asked for documents holding floats,
    // and is kept in step with the first so that every document is parsed at most twice.
    let mut shaped = serde_yaml::Deserializer::from_str(text);
    for (index, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let budget = Budget { left: Cell::new(node_budget(text)), floats: Cell::new(0) };
        let tree = NodeSeed(&budget).deserialize(doc).map_err(|e| syntax_error(index, &e))?;
        let again = shaped.next();
        let mut tree = tree;
        if budget.floats.get() > 0 {
            if let Some(again) = again {
                // Any failure here leaves the floats without source text: still correct values.
                let _ = RawSeed(&mut tree).deserialize(again);
            }
        }
        docs.push(tree);
    }
    Ok(docs)
}

fn syntax_error(document: usize, e: &serde_yaml::Error) -> SyntaxError {
    let line = e.location().map(|l| l.line());
    let (field, message) = split_message(&e.to_string());
    SyntaxError { document, field, line, message }
}

/// Splits serde_yaml's `path: message at line L column C` into the path and the bare message.
fn split_message(text: &str) -> (Option<String>, String) {
    let mut msg = text.to_string();
    if let Some(pos) = msg.find(" at line ") {
        // Drop " at line L column C" (the line is reported separately), keep any context after it.
        let rest = &msg[pos + " at line ".len()..];
        let skip = rest
            .find(" column ")
            .map(|c| {
                let after = &rest[c + " column ".len()..];
                c + " column ".len() + after.bytes().take_while(u8::is_ascii_digit).count()
            })
            .unwrap_or(0);
        msg = format!("{}{}", &msg[..pos], &rest[skip..]);
    }
    if let Some((head, tail)) = msg.split_once(": ") {
        let looks_like_path =
            !head.is_empty() && !head.contains(char::is_whitespace) && !head.contains('"') && !head.contains('`');
        if looks_like_path {
            return (Some(head.to_string()), tail.to_string());
        }
    }
    (None, msg)
}

struct Budget {
    left: Cell<usize>,
    floats: Cell<usize>,
}

impl Budget {
    fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(l) => {
                self.left.set(l);
                Ok(())
            }
            None => Err(E::custom("the document expands to too many values through YAML aliases")),
        }
    }
}

struct NodeSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Yaml;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(NodeVisitor(self.0))
    }
}

struct NodeVisitor<'b>(&'b Budget);

impl<'de> Visitor<'de> for NodeVisitor<'_> {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Yaml, E> {
        self.0.take()?;
        Ok(Yaml::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Yaml, E> {
        self.0.take()?;
        Ok(Yaml::Int(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Yaml, E> {
        self.0.take()?;
        Ok(Yaml::Int(i128::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Yaml, E> {
        self.0.take()?;
        Ok(Yaml::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Yaml, E> {
        self.0.take()?;
        match i128::try_from(v) {
            Ok(i) => Ok(Yaml::Int(i)),
            Err(_) => {
                self.0.floats.set(self.0.floats.get() + 1);
                Ok(Yaml::Float { value: v as f64, raw: None })
            }
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Yaml, E> {
        self.0.take()?;
        self.0.floats.set(self.0.floats.get() + 1);
        Ok(Yaml::Float { value: v, raw: None })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Yaml, E> {
        self.0.take()?;
        Ok(Yaml::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Yaml, E> {
        self.0.take()?;
        Ok(Yaml::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Yaml, E> {
        self.0.take()?;
        Ok(Yaml::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Yaml, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        NodeSeed(self.0).deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        self.0.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed(self.0))? {
            items.push(item);
        }
        Ok(Yaml::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        self.0.take()?;
        let mut entries: Vec<(String, Yaml)> = Vec::new();
        let mut seen: Option<HashSet<String>> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None => {
                    let dup = entries.iter().any(|(k, _)| *k == key);
                    if entries.len() >= 16 {
                        let mut set: HashSet<String> = entries.iter().map(|(k, _)| k.clone()).collect();
                        set.insert(key.clone());
                        seen = Some(set);
                    }
                    dup
                }
            };
            if duplicate {
                // Fail inside the value so that the error carries the duplicate's line.
                let never = map.next_value_seed(FailSeed(format!("duplicate key {key:?}")))?;
                match never {}
            }
            let value = map.next_value_seed(NodeSeed(self.0))?;
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Yaml, A::Error> {
        // A node with a local tag (`!something value`): the tag is dropped.
        let (_, content) = data.variant::<IgnoredAny>()?;
        content.newtype_variant_seed(NodeSeed(self.0))
    }
}

/// A mapping key: any scalar, as text.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(format_float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(de::Error::custom("a mapping key must be a string, not a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(de::Error::custom("a mapping key must be a string, not a mapping"))
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<String, A::Error> {
        let (_, content) = data.variant::<IgnoredAny>()?;
        content.newtype_variant_seed(KeySeed)
    }
}

/// Fails on whatever node it is given, so that serde_yaml stamps the error with that node's
/// position.
struct FailSeed(String);

impl<'de> DeserializeSeed<'de> for FailSeed {
    type Value = std::convert::Infallible;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(FailVisitor(self.0))
    }
}

struct FailVisitor(String);

impl FailVisitor {
    fn fail<T, E: de::Error>(self) -> Result<T, E> {
        Err(E::custom(self.0))
    }
}

impl<'de> Visitor<'de> for FailVisitor {
    type Value = std::convert::Infallible;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.fail()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, _: D) -> Result<Self::Value, D::Error> {
        self.fail()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.fail()
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.fail()
    }
    fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.fail()
    }
}

/// Pass 2: fills in the source text of every float, walking the document in the shape pass 1 found.
struct RawSeed<'t>(&'t mut Yaml);

impl<'de> DeserializeSeed<'de> for RawSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.0 {
            Yaml::Map(entries) => d.deserialize_map(RawMap(entries)),
            Yaml::Seq(items) => d.deserialize_seq(RawSeq(items)),
            Yaml::Float { raw, .. } => {
                *raw = Some(d.deserialize_str(TextVisitor)?);
                Ok(())
            }
            _ => d.deserialize_ignored_any(IgnoredAny).map(|_| ()),
        }
    }
}

struct RawMap<'t>(&'t mut Vec<(String, Yaml)>);

impl<'de> Visitor<'de> for RawMap<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        for (_, value) in self.0.iter_mut() {
            if map.next_key::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
            map.next_value_seed(RawSeed(value))?;
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

struct RawSeq<'t>(&'t mut Vec<Yaml>);

impl<'de> Visitor<'de> for RawSeq<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for item in self.0.iter_mut() {
            if seq.next_element_seed(RawSeed(item))?.is_none() {
                return Ok(());
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// The line (from 1) of the node at `path` in document `document` (from 0) of `text`, or of
/// the deepest node on the way that exists.
pub(crate) fn locate(text: &str, document: usize, path: &[Seg]) -> Option<usize> {
    let doc = serde_yaml::Deserializer::from_str(text).nth(document)?;
    match LocateSeed(path).deserialize(doc) {
        Err(e) => e.location().map(|l| l.line()),
        Ok(never) => match never {},
    }
}

const HERE: &str = "nodepack: located";

struct LocateSeed<'p>(&'p [Seg]);

impl<'de> DeserializeSeed<'de> for LocateSeed<'_> {
    type Value = std::convert::Infallible;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.0.is_empty() {
            FailSeed(HERE.to_string()).deserialize(d)
        } else {
            d.deserialize_any(LocateVisitor(self.0))
        }
    }
}

struct LocateVisitor<'p>(&'p [Seg]);

impl<'de> Visitor<'de> for LocateVisitor<'_> {
    type Value = std::convert::Infallible;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(HERE)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if let Some((Seg::Key(want), rest)) = self.0.split_first() {
            while let Some(key) = map.next_key_seed(KeySeed)? {
                if key == *want {
                    return map.next_value_seed(LocateSeed(rest));
                }
                map.next_value::<IgnoredAny>()?;
            }
        }
        Err(de::Error::custom(HERE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if let Some((Seg::Index(want), rest)) = self.0.split_first() {
            for _ in 0..*want {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    return Err(de::Error::custom(HERE));
                }
            }
            if let Some(never) = seq.next_element_seed(LocateSeed(rest))? {
                match never {}
            }
        }
        Err(de::Error::custom(HERE))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let (_, content) = data.variant::<IgnoredAny>()?;
        content.newtype_variant_seed(LocateSeed(self.0))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(HERE))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        LocateSeed(self.0).deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.to_string())
    }

    #[test]
    fn keeps_float_text_exact() {
        let docs = read_documents(
            "a: 0.1\nb: [1.0000000000000001, 2]\nc: 1e400\nd: 99999999999999999999999999999999999999999\n",
        )
        .unwrap();
        let d = &docs[0];
        assert_eq!(d.get("a").unwrap().scalar_text().unwrap(), "0.1");
        match d.get("b").unwrap() {
            Yaml::Seq(items) => {
                assert_eq!(items[0].scalar_text().unwrap(), "1.0000000000000001");
                assert_eq!(items[1], Yaml::Int(2));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.get("c").unwrap().scalar_text().unwrap(), "1e400");
        assert_eq!(d.get("d").unwrap().scalar_text().unwrap(), "99999999999999999999999999999999999999999");
    }

    #[test]
    fn reads_many_documents_and_empty_ones() {
        let docs = read_documents("a: 1\n---\n---\nb: 2.5\n---\n# only a comment\n").unwrap();
        assert_eq!(docs.len(), 4);
        assert_eq!(docs[1], Yaml::Null);
        assert_eq!(docs[2].get("b").unwrap().scalar_text().unwrap(), "2.5");
        assert_eq!(docs[3], Yaml::Null);
        assert_eq!(read_documents("").unwrap(), vec![Yaml::Null]);
    }

    #[test]
    fn syntax_errors_have_lines() {
        let e = read_documents("a: 1\n---\nb: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(e.document, 1);
        assert!(e.line.is_some(), "{e:?}");
        assert_eq!(e.line, Some(4), "{e:?}");
        assert!(e.message.starts_with("did not find expected ',' or ']',"), "{e:?}");
        let e = read_documents("a: 1\nb:\n  c: 2\n  c: 3\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e:?}");
        assert!(e.message.contains("duplicate key \"c\""), "{e:?}");
        let e = read_documents("? [a, b]\n: 1\n").unwrap_err();
        assert!(e.message.contains("mapping key must be a string"), "{e:?}");
    }

    #[test]
    fn tags_and_aliases() {
        let docs = read_documents("a: &x {n: 1.5}\nb: *x\nc: !custom 7\nd: !!str 8\n").unwrap();
        let d = &docs[0];
        assert_eq!(d.get("b").unwrap().get("n").unwrap().scalar_text().unwrap(), "1.5");
        assert_eq!(d.get("c").unwrap(), &Yaml::Int(7));
        assert_eq!(d.get("d").unwrap(), &Yaml::Str("8".into()));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(read_documents(&text).is_err());
    }

    #[test]
    fn locates_paths() {
        let text =
            "kind: A\n---\nkind: NodePool\nspec:\n  limits:\n    cpu: \"-1\"\n  list:\n  - a\n  - {b: 1,\n     c: 2}\n";
        assert_eq!(locate(text, 1, &[key("spec"), key("limits"), key("cpu")]), Some(6));
        assert_eq!(locate(text, 1, &[key("spec"), key("list"), Seg::Index(1), key("c")]), Some(10));
        // missing leaf: the deepest node that exists
        assert_eq!(locate(text, 1, &[key("spec"), key("limits"), key("memory")]), Some(6));
        assert_eq!(locate(text, 1, &[]), Some(3));
        assert_eq!(locate(text, 5, &[]), None);
    }

    #[test]
    fn renders_paths() {
        assert_eq!(
            render_path(&[key("items"), Seg::Index(3), key("spec"), key("nvidia.com/gpu")]),
            "items[3].spec.nvidia.com/gpu"
        );
        assert_eq!(render_path(&[]), "");
    }

    #[test]
    fn splits_messages() {
        let (f, m) = split_message("spec.x: invalid type: string \"a\", expected u32 at line 3 column 5");
        assert_eq!(f.as_deref(), Some("spec.x"));
        assert_eq!(m, "invalid type: string \"a\", expected u32");
        let (f, m) = split_message(
            "did not find expected key at line 3 column 1, while parsing a block mapping at line 1 column 1",
        );
        assert_eq!(f, None);
        assert_eq!(m, "did not find expected key, while parsing a block mapping at line 1 column 1");
    }
}
