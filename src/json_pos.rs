//! Positions in a schema JSON file, so that a schema mistake found after parsing (a field
//! listed twice, an unknown type, an empty primary key) is reported at its line and column.
//! serde_json's `Value` keeps no positions, so the text is scanned again: it has already
//! parsed, so the scanner only needs to follow valid JSON (and serde_json's depth limit of 128
//! bounds its recursion).

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub fn key(k: &str) -> Seg {
    Seg::Key(k.to_string())
}

/// A scanned value: its byte span and, for objects and arrays, its members.
struct Node {
    start: usize,
    end: usize,
    /// (key, value); array items have no key.
    members: Vec<(Option<String>, Node)>,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    /// A string starting at the `"` under the cursor; returns its (unescaped enough) text.
    fn string(&mut self) -> String {
        let start = self.i + 1;
        self.i += 1;
        while self.i < self.b.len() && self.b[self.i] != b'"' {
            self.i += if self.b[self.i] == b'\\' { 2 } else { 1 };
        }
        let raw = String::from_utf8_lossy(&self.b[start..self.i.min(self.b.len())]).into_owned();
        self.i += 1;
        serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or(raw)
    }

    fn value(&mut self) -> Node {
        self.ws();
        let start = self.i;
        let mut members = vec![];
        match self.b.get(self.i) {
            Some(b'{') | Some(b'[') => {
                let object = self.b[self.i] == b'{';
                self.i += 1;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        None => break,
                        Some(b'}') | Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        Some(b',') => self.i += 1,
                        Some(_) if object => {
                            let k = self.string();
                            self.ws();
                            self.i += 1; // ':'
                            let v = self.value();
                            members.push((Some(k), v));
                        }
                        Some(_) => {
                            let v = self.value();
                            members.push((None, v));
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while self.i < self.b.len() && !b",}] \t\r\n".contains(&self.b[self.i]) {
                    self.i += 1;
                }
            }
            None => {}
        }
        Node {
            start,
            end: self.i,
            members,
        }
    }
}

fn scan(text: &str) -> Node {
    Scanner {
        b: text.as_bytes(),
        i: 0,
    }
    .value()
}

/// The byte span of the value at `path`, or of the deepest part of it that exists (a missing
/// key points at the object that lacks it).
pub fn span(text: &str, path: &[Seg]) -> std::ops::Range<usize> {
    let root = scan(text);
    let mut node = &root;
    for seg in path {
        let next = match seg {
            Seg::Key(k) => node
                .members
                .iter()
                .rev()
                .find(|(mk, _)| mk.as_deref() == Some(k)),
            Seg::Index(i) => node.members.get(*i),
        };
        match next {
            Some((_, n)) => node = n,
            None => break,
        }
    }
    // Objects and arrays are marked by their first character only.
    let end = if node.members.is_empty() && node.end > node.start {
        node.end
    } else {
        node.start + 1
    };
    node.start..end
}

/// The first key that an object of the document repeats, with the path to its second value.
/// serde_json keeps the last of two equal keys silently.
pub fn duplicate_key(text: &str) -> Option<(Vec<Seg>, String)> {
    fn walk(n: &Node, path: &mut Vec<Seg>) -> Option<String> {
        let mut seen = std::collections::HashSet::new();
        for (i, (k, v)) in n.members.iter().enumerate() {
            if let Some(k) = k
                && !seen.insert(k.as_str())
            {
                path.push(Seg::Key(k.clone()));
                return Some(k.clone());
            }
            path.push(k.as_ref().map_or(Seg::Index(i), |k| Seg::Key(k.clone())));
            if let Some(d) = walk(v, path) {
                return Some(d);
            }
            path.pop();
        }
        None
    }
    let mut path = vec![];
    walk(&scan(text), &mut path).map(|k| (path, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\r\n  \"name\": \"é\",\r\n  \"fields\": [\r\n    {\"name\": \"a\"},\r\n    {\"name\": \"b\", \"type\": \"strin\"}\r\n  ]\r\n}\r\n";

    #[test]
    fn spans_follow_paths() {
        let s = span(DOC, &[key("fields"), Seg::Index(1), key("type")]);
        assert_eq!(&DOC[s], "\"strin\"");
        let s = span(DOC, &[key("name")]);
        assert_eq!(&DOC[s], "\"é\"");
        // A missing key: the object that lacks it.
        let s = span(DOC, &[key("fields"), Seg::Index(0), key("type")]);
        assert_eq!(&DOC[s], "{");
    }

    #[test]
    fn duplicate_keys_are_found() {
        assert_eq!(duplicate_key(DOC), None);
        let d = "{\"a\": 1, \"b\": {\"x\": 1, \"x\": 2}}";
        let (path, k) = duplicate_key(d).unwrap();
        assert_eq!(k, "x");
        // The path leads to the second value.
        assert_eq!(span(d, &path), 28..29);
    }
}
