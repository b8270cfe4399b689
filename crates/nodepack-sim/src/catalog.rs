//! `nodepack catalog`: the instance types a NodePool or a label selector admits, with their
//! allocatable and prices.
//!
//! [`parse_selector`] reads a selector in kubectl's syntax (`k=v`, `k==v`, `k!=v`,
//! `k in (a,b)`, `k notin (a)`, `k`, `!k`) plus `k>n` and `k<n` on integer labels, as
//! [`Requirements`]. [`admitted`] lists the types that satisfy them, cheapest first.

use std::fmt;

use nodepack_core::{label, InstanceType, Offering, Operator, Price, Requirement, Requirements};

/// Why a selector cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("selector {selector:?}: {message}")]
pub struct SelectorError {
    /// The selector as given.
    pub selector: String,
    /// What is wrong.
    pub message: String,
}

/// Reads a label selector as kubectl does, plus `key>n` and `key<n` (integer bounds, as
/// Karpenter's `Gt` and `Lt`). Terms are separated by commas outside parentheses; an empty
/// selector admits everything.
///
/// ```
/// use nodepack_sim::catalog::parse_selector;
/// let r = parse_selector("karpenter.k8s.aws/instance-family in (m6i, r6i),karpenter.k8s.aws/instance-cpu>2").unwrap();
/// assert_eq!(r.len(), 2);
/// assert!(parse_selector("a in b").is_err());
/// ```
pub fn parse_selector(text: &str) -> Result<Requirements, SelectorError> {
    let err = |m: String| SelectorError { selector: text.to_string(), message: m };
    let mut out = Requirements::new();
    for term in split_terms(text).map_err(err)? {
        let term = term.trim();
        if term.is_empty() {
            if text.trim().is_empty() {
                continue;
            }
            return Err(err("an empty term (two commas in a row, or a trailing comma)".to_string()));
        }
        out.add(parse_term(term).map_err(err)?);
    }
    Ok(out)
}

fn split_terms(text: &str) -> Result<Vec<&str>, String> {
    let mut terms = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => {
                if depth > 0 {
                    return Err("nested parentheses".to_string());
                }
                depth += 1;
            }
            ')' => {
                if depth == 0 {
                    return Err("a closing parenthesis without an opening one".to_string());
                }
                depth -= 1;
            }
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("an unclosed parenthesis".to_string());
    }
    terms.push(&text[start..]);
    Ok(terms)
}

fn valid_key(k: &str) -> Result<&str, String> {
    let ok = !k.is_empty()
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && k.matches('/').count() <= 1;
    if ok {
        Ok(k)
    } else {
        Err(format!("{k:?} is not a label key"))
    }
}

fn valid_value(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        Ok(v.to_string())
    } else {
        Err(format!("{v:?} is not a label value"))
    }
}

fn build(key: &str, op: Operator, values: Vec<String>) -> Result<Requirement, String> {
    Requirement::new(valid_key(key)?, op, values).map_err(|e| e.to_string())
}

fn parse_term(term: &str) -> Result<Requirement, String> {
    if let Some(k) = term.strip_prefix('!') {
        return build(k.trim(), Operator::DoesNotExist, vec![]);
    }
    for (sep, op) in [("!=", Operator::NotIn), ("==", Operator::In), ("=", Operator::In)] {
        if let Some((k, v)) = term.split_once(sep) {
            return build(k.trim(), op, vec![valid_value(v)?]);
        }
    }
    for (sep, op) in [('>', Operator::Gt), ('<', Operator::Lt)] {
        if let Some((k, v)) = term.split_once(sep) {
            let v = v.trim();
            if v.parse::<i64>().is_err() {
                return Err(format!("{sep} needs an integer, got {v:?}"));
            }
            return build(k.trim(), op, vec![v.to_string()]);
        }
    }
    let words: Vec<&str> = term.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let key = words[0];
        let rest = words[1].trim_start();
        let (op, list) = if let Some(l) = rest.strip_prefix("notin") {
            (Operator::NotIn, l)
        } else if let Some(l) = rest.strip_prefix("in") {
            (Operator::In, l)
        } else {
            return Err(format!(
                "{term:?} is not a term (expected k=v, k!=v, k in (a,b), k notin (a), k, !k, k>n or k<n)"
            ));
        };
        let list = list.trim();
        let inner = list
            .strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .ok_or_else(|| format!("{term:?}: the values must be in parentheses, as in {key} in (a,b)"))?;
        let values = inner.split(',').map(valid_value).collect::<Result<Vec<_>, _>>()?;
        if values.iter().any(String::is_empty) {
            return Err(format!("{term:?}: an empty value in the list"));
        }
        return build(key, op, values);
    }
    build(term, Operator::Exists, vec![])
}

/// One instance type as `nodepack catalog` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry<'a> {
    /// The type.
    pub instance_type: &'a InstanceType,
    /// Its offerings that the requirements allow (zone and capacity type), available or not,
    /// by capacity type, zone.
    pub offerings: Vec<&'a Offering>,
    /// The cheapest available on-demand offering allowed.
    pub on_demand: Option<Price>,
    /// The cheapest available spot offering allowed.
    pub spot: Option<Price>,
}

impl CatalogEntry<'_> {
    /// The cheapest available offering's price (the sort key).
    pub fn cheapest(&self) -> Option<Price> {
        self.offerings.iter().filter(|o| o.available).map(|o| o.price).min()
    }
}

impl fmt::Display for CatalogEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.instance_type.name)
    }
}

/// What [`admitted`] found: the types that can be launched, cheapest first (then by name), and
/// the names of those that satisfy the requirements but have no available offering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Admitted<'a> {
    /// Launchable types, cheapest first.
    pub entries: Vec<CatalogEntry<'a>>,
    /// Types that match but cannot be launched, by name.
    pub unavailable: Vec<&'a str>,
}

/// The types whose labels satisfy `selector` (every key it requires positively must be a label
/// of the type) and that `pool` admits (Karpenter's template filter: the requirements intersect
/// the type's), with the offerings both allow.
pub fn admitted<'a>(types: &'a [InstanceType], pool: &Requirements, selector: &Requirements) -> Admitted<'a> {
    let mut both = pool.clone();
    both.add_all(selector);
    let mut out = Admitted::default();
    for it in types {
        if !it.requirements.intersects_ok(pool) || it.requirements.compatible(selector, &|_| false).is_err() {
            continue;
        }
        let mut offerings: Vec<&Offering> = it.offerings.iter().filter(|o| o.compatible_with(&both)).collect();
        offerings.sort_by(|a, b| {
            nodepack_core::instance_type::capacity_type_rank(&a.capacity_type)
                .cmp(&nodepack_core::instance_type::capacity_type_rank(&b.capacity_type))
                .then_with(|| a.capacity_type.cmp(&b.capacity_type))
                .then_with(|| a.zone.cmp(&b.zone))
        });
        let cheapest =
            |ct: &str| offerings.iter().filter(|o| o.available && o.capacity_type == ct).map(|o| o.price).min();
        let entry = CatalogEntry {
            instance_type: it,
            on_demand: cheapest(label::ON_DEMAND),
            spot: cheapest(label::SPOT),
            offerings,
        };
        if entry.cheapest().is_some() {
            out.entries.push(entry);
        } else {
            out.unavailable.push(&it.name);
        }
    }
    out.entries
        .sort_by(|a, b| a.cheapest().cmp(&b.cheapest()).then_with(|| a.instance_type.name.cmp(&b.instance_type.name)));
    out.unavailable.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws_catalog::{aws_instance_types, AwsCatalogOptions};

    #[test]
    fn selector_terms() {
        let r = parse_selector("a=1,b!=2,c in (x, y),d notin (z),e,!f,g>3,h<9,i==j").unwrap();
        let show: Vec<String> = r.iter().map(|x| x.to_string()).collect();
        assert_eq!(
            show,
            vec![
                "a In [1]",
                "b NotIn [2]",
                "c In [x, y]",
                "d NotIn [z]",
                "e Exists",
                "f DoesNotExist",
                "g >=4",
                "h <=8",
                "i In [j]"
            ]
        );
        assert!(parse_selector("").unwrap().is_empty());
        for bad in ["a in b", "a in (b", "a,,b", "a>x", "a b c", "a=(", "=v", "a in ()", "a)"] {
            assert!(parse_selector(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cheapest_first() {
        let types = aws_instance_types(&AwsCatalogOptions::default()).unwrap();
        let sel =
            parse_selector("karpenter.k8s.aws/instance-family in (m6i,m6a),karpenter.k8s.aws/instance-cpu<5").unwrap();
        let a = admitted(&types, &Requirements::new(), &sel);
        let names: Vec<&str> = a.entries.iter().map(|e| e.instance_type.name.as_str()).collect();
        // Spot estimates decide: m6i saves more on spot than m6a.
        assert_eq!(names, vec!["m6i.large", "m6a.large", "m6i.xlarge", "m6a.xlarge"]);
        assert_eq!(a.entries[0].on_demand, Price::from_dollars_str("0.096"));
        // A key no type carries admits nothing; its negation admits everything it did.
        assert!(admitted(&types, &Requirements::new(), &parse_selector("role=general").unwrap()).entries.is_empty());
        let od =
            parse_selector("karpenter.sh/capacity-type=on-demand,node.kubernetes.io/instance-type=m6i.large").unwrap();
        let a = admitted(&types, &Requirements::new(), &od);
        assert_eq!(a.entries[0].offerings.len(), 3);
        assert_eq!(a.entries[0].spot, None);
    }
}
