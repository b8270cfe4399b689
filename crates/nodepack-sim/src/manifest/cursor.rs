//! A position in a document: the node there (if any) and the path that leads to it, so that
//! every problem names its field.

use std::rc::Rc;

use nodepack_core::{Labels, Quantity, ResourceName, Resources};

use super::yaml::{Seg, Yaml};

/// A path from the document root, shared between cursors.
#[derive(Debug, Clone, Default)]
pub(crate) struct Path(Option<Rc<(Path, Seg)>>);

impl Path {
    /// The path one step further.
    pub(crate) fn child(&self, seg: Seg) -> Path {
        Path(Some(Rc::new((self.clone(), seg))))
    }

    /// The steps from the root.
    pub(crate) fn segments(&self) -> Vec<Seg> {
        let mut out = Vec::new();
        let mut at = self;
        while let Some(link) = &at.0 {
            out.push(link.1.clone());
            at = &link.0;
        }
        out.reverse();
        out
    }
}

/// Something wrong at a path.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// Where.
    pub path: Path,
    /// What.
    pub message: String,
}

/// The result of reading a field.
pub(crate) type Res<T> = Result<T, Problem>;

/// A node in a document (or its absence) with its path.
#[derive(Debug, Clone)]
pub(crate) struct Cur<'a> {
    node: Option<&'a Yaml>,
    path: Path,
}

impl<'a> Cur<'a> {
    /// A cursor on a node.
    pub(crate) fn new(node: &'a Yaml, path: Path) -> Self {
        Cur { node: Some(node), path }
    }

    /// The path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A problem at this field.
    pub(crate) fn problem(&self, message: impl Into<String>) -> Problem {
        Problem { path: self.path.clone(), message: message.into() }
    }

    /// A problem at a field below this one (which may be absent).
    pub(crate) fn problem_at(&self, key: &str, message: impl Into<String>) -> Problem {
        Problem { path: self.path.child(Seg::Key(key.to_string())), message: message.into() }
    }

    /// The node, unless absent or null (Kubernetes treats an explicit null as absent).
    pub(crate) fn node(&self) -> Option<&'a Yaml> {
        match self.node {
            None | Some(Yaml::Null) => None,
            Some(n) => Some(n),
        }
    }

    /// Whether the field is absent or null.
    pub(crate) fn is_absent(&self) -> bool {
        self.node().is_none()
    }

    fn wrong(&self, expected: &str) -> Problem {
        let found = self.node.map(Yaml::describe).unwrap_or_else(|| "nothing".to_string());
        self.problem(format!("expected {expected}, found {found}"))
    }

    /// The field `key` of this mapping (absent when this node is absent); an error when this node
    /// is not a mapping.
    pub(crate) fn get(&self, key: &str) -> Res<Cur<'a>> {
        let path = self.path.child(Seg::Key(key.to_string()));
        match self.node() {
            None => Ok(Cur { node: None, path }),
            Some(Yaml::Map(entries)) => Ok(Cur { node: entries.iter().find(|(k, _)| k == key).map(|(_, v)| v), path }),
            Some(_) => Err(self.wrong("a mapping")),
        }
    }

    /// The field at a path of keys.
    pub(crate) fn at(&self, keys: &[&str]) -> Res<Cur<'a>> {
        let mut c = self.clone();
        for k in keys {
            c = c.get(k)?;
        }
        Ok(c)
    }

    /// The items of a list (none when absent).
    pub(crate) fn items(&self) -> Res<Vec<Cur<'a>>> {
        match self.node() {
            None => Ok(Vec::new()),
            Some(Yaml::Seq(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, n)| Cur { node: Some(n), path: self.path.child(Seg::Index(i)) })
                .collect()),
            Some(_) => Err(self.wrong("a list")),
        }
    }

    /// The entries of a mapping (none when absent).
    pub(crate) fn entries(&self) -> Res<Vec<(&'a str, Cur<'a>)>> {
        match self.node() {
            None => Ok(Vec::new()),
            Some(Yaml::Map(entries)) => Ok(entries
                .iter()
                .map(|(k, v)| (k.as_str(), Cur { node: Some(v), path: self.path.child(Seg::Key(k.clone())) }))
                .collect()),
            Some(_) => Err(self.wrong("a mapping")),
        }
    }

    /// A string. Numbers and booleans are taken as the text written (a label value `1.10` stays
    /// `1.10`); mappings and lists are errors.
    pub(crate) fn string(&self) -> Res<Option<String>> {
        match self.node() {
            None => Ok(None),
            Some(n @ (Yaml::Str(_) | Yaml::Int(_) | Yaml::Float { .. } | Yaml::Bool(_))) => Ok(n.scalar_text()),
            Some(_) => Err(self.wrong("a string")),
        }
    }

    /// A string that must be present and non-empty.
    pub(crate) fn required_string(&self) -> Res<String> {
        match self.string()? {
            None => Err(self.problem("is required")),
            Some(s) if s.is_empty() => Err(self.problem("must not be empty")),
            Some(s) => Ok(s),
        }
    }

    /// An integer that fits `T`.
    pub(crate) fn int<T: TryFrom<i128>>(&self) -> Res<Option<T>> {
        match self.node() {
            None => Ok(None),
            Some(Yaml::Int(i)) => T::try_from(*i).map(Some).map_err(|_| self.problem(format!("{i} is out of range"))),
            Some(_) => Err(self.wrong("an integer")),
        }
    }

    /// An integer within `min..=max`.
    pub(crate) fn int_in(&self, min: i64, max: i64) -> Res<Option<i64>> {
        match self.int::<i64>() {
            Ok(Some(v)) if v < min || v > max => {
                Err(self.problem(format!("{v} is out of range (expected {min} to {max})")))
            }
            Err(p) if matches!(self.node(), Some(Yaml::Int(_))) => {
                Err(Problem { message: format!("{} (expected {min} to {max})", p.message), ..p })
            }
            other => other,
        }
    }

    /// A boolean.
    pub(crate) fn bool(&self) -> Res<Option<bool>> {
        match self.node() {
            None => Ok(None),
            Some(Yaml::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong("true or false")),
        }
    }

    /// A list of strings.
    pub(crate) fn strings(&self) -> Res<Vec<String>> {
        self.items()?.iter().map(|c| c.string().and_then(|s| s.ok_or_else(|| c.wrong("a string")))).collect()
    }

    /// A mapping of strings to strings (labels, annotations, node selectors).
    pub(crate) fn string_map(&self) -> Res<Labels> {
        let mut out = Labels::new();
        for (k, v) in self.entries()? {
            out.insert(k.to_string(), v.string()?.unwrap_or_default());
        }
        Ok(out)
    }

    /// The text of a Kubernetes quantity (a string or a number as written).
    pub(crate) fn quantity_text(&self) -> Res<Option<String>> {
        match self.node() {
            None => Ok(None),
            Some(n @ (Yaml::Str(_) | Yaml::Int(_) | Yaml::Float { .. })) => Ok(n.scalar_text()),
            Some(_) => Err(self.wrong("a quantity")),
        }
    }

    /// A quantity of one resource in that resource's unit (millicores for `cpu`).
    pub(crate) fn amount(&self, name: &ResourceName) -> Res<Option<i64>> {
        let Some(text) = self.quantity_text()? else { return Ok(None) };
        let q: Quantity = text.parse().map_err(|e: nodepack_core::QuantityError| self.problem(e.to_string()))?;
        name.amount(&q, &text).map(Some).map_err(|e| self.problem(e.to_string()))
    }

    /// A resource list (`requests`, `capacity`, `limits` ...): any resource name to a quantity.
    pub(crate) fn resources(&self) -> Res<Resources> {
        let mut out = Resources::new();
        for (k, v) in self.entries()? {
            if k.is_empty() {
                return Err(v.problem("a resource name must not be empty"));
            }
            let name = ResourceName::parse(k);
            if let Some(a) = v.amount(&name)? {
                out.set(&name, a);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::{read_documents, render_path};
    use super::*;

    fn doc(text: &str) -> Yaml {
        read_documents(text).unwrap().remove(0)
    }

    #[test]
    fn reads_typed_fields_with_paths() {
        let y = doc("spec:\n  replicas: 3\n  name: web\n  cpu: 0.5\n  list: [a, 1, true]\n  big: 99999999999\n");
        let root = Cur::new(&y, Path::default());
        let spec = root.get("spec").unwrap();
        assert_eq!(spec.get("replicas").unwrap().int::<i32>().unwrap(), Some(3));
        assert_eq!(spec.get("missing").unwrap().int::<i32>().unwrap(), None);
        assert_eq!(spec.get("list").unwrap().strings().unwrap(), vec!["a", "1", "true"]);
        assert_eq!(spec.get("cpu").unwrap().amount(&ResourceName::Cpu).unwrap(), Some(500));
        let e = spec.get("big").unwrap().int::<i32>().unwrap_err();
        assert_eq!(render_path(&e.path.segments()), "spec.big");
        let e = spec.get("name").unwrap().items().unwrap_err();
        assert_eq!(e.message, "expected a list, found the string \"web\"");
        let e = spec.get("name").unwrap().get("x").unwrap_err();
        assert_eq!(render_path(&e.path.segments()), "spec.name");
        let e = spec.get("replicas").unwrap().int_in(0, 2).unwrap_err();
        assert!(e.message.contains("out of range"), "{}", e.message);
    }

    #[test]
    fn quantities() {
        let y = doc("a: \"-1\"\nb: 1e400\nc: 99999999999999999999Ei\nd: {x: 1}\ne: 100m\n");
        let root = Cur::new(&y, Path::default());
        let get = |k: &str| root.get(k).unwrap().amount(&ResourceName::Memory);
        assert!(get("a").unwrap_err().message.contains("negative"));
        assert!(get("b").unwrap_err().message.contains("too large"));
        assert!(get("c").unwrap_err().message.contains("too large"));
        assert!(get("d").unwrap_err().message.contains("expected a quantity"));
        assert_eq!(get("e").unwrap(), Some(1));
    }
}
