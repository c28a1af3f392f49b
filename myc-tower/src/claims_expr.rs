//! Per-route claims predicates in the Microbus `requiredClaims` style, parsed once at start-up
//! and evaluated per request against the verified token's claims.
//!
//! ```text
//! expr       := or
//! or         := and ("||" and)*
//! and        := unary ("&&" unary)*
//! unary      := "!" unary | "(" expr ")" | comparison
//! comparison := path [op literal]
//! op         := "==" | "!=" | ">" | ">=" | "<" | "<=" | "=~" | "!~"
//! literal    := number | "string" | true | false
//! path       := name ("." name)*
//! ```
//!
//! A bare path is true when the claim exists and is truthy (`true`, a non-zero number, a
//! non-empty string, array or object); a path step into an array of strings is true when the
//! array contains that string (`roles.admin` matches `{"roles": ["admin"]}` and
//! `{"roles": {"admin": true}}`). A comparison with a missing claim, or of mismatched types, is
//! false. `=~` patterns are compiled at parse time (size-limited, linear-time regex).
//!
//! ```
//! use myc_tower::claims_expr::ClaimsPredicate;
//! use serde_json::json;
//!
//! let p = ClaimsPredicate::parse(r#"level>5 && !guest && idp=~"corp\.example\.com$""#).unwrap();
//! let claims = json!({"level": 7, "idp": "sso.corp.example.com"});
//! assert!(p.evaluate(claims.as_object().unwrap()));
//! assert!(!p.evaluate(json!({"level": 7, "guest": true, "idp": "sso.corp.example.com"}).as_object().unwrap()));
//! ```

use serde_json::{Map, Value};

/// Longest accepted expression.
pub const MAX_EXPRESSION_LEN: usize = 1024;
/// Deepest accepted nesting of `!` and parentheses.
pub const MAX_DEPTH: usize = 32;
const MAX_REGEX_SIZE: usize = 64 * 1024;

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claims expression, at byte {at}: {message}")]
pub struct ExprError {
    /// Byte offset of the problem.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Literal {
    Number(f64),
    Text(String),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Debug)]
enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Truthy(Vec<String>),
    Compare(Vec<String>, Op, Literal),
    Matches(Vec<String>, regex::Regex, bool),
}

/// A parsed predicate.
#[derive(Clone, Debug)]
pub struct ClaimsPredicate {
    source: String,
    root: Node,
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError {
            at: self.pos,
            message: message.into(),
        })
    }

    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with([' ', '\t', '\n', '\r']) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error("nested too deeply");
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.and()?];
        while self.eat("||") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.unary()?];
        while self.eat("&&") {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        self.skip_ws();
        if self.text[self.pos..].starts_with("!") && !self.text[self.pos..].starts_with("!=") {
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        if self.eat("(") {
            self.enter()?;
            let inner = self.or()?;
            self.depth -= 1;
            if !self.eat(")") {
                return self.error("expected `)`");
            }
            return Ok(inner);
        }
        self.comparison()
    }

    fn name(&mut self) -> Result<String, ExprError> {
        self.skip_ws();
        let start = self.pos;
        while let Some(c) = self.text[self.pos..].chars().next() {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '/') {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        if start == self.pos {
            return self.error("expected a claim name");
        }
        Ok(self.text[start..self.pos].to_owned())
    }

    fn path(&mut self) -> Result<Vec<String>, ExprError> {
        let mut path = vec![self.name()?];
        while self.text[self.pos..].starts_with('.') {
            self.pos += 1;
            path.push(self.name()?);
        }
        Ok(path)
    }

    fn string(&mut self) -> Result<String, ExprError> {
        // The opening quote is consumed; backslash escapes `\"` and `\\` only, so regex
        // escapes such as `\.` pass through unchanged.
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.error("unterminated string")
    }

    fn literal(&mut self) -> Result<Literal, ExprError> {
        self.skip_ws();
        let rest = &self.text[self.pos..];
        if rest.starts_with('"') {
            self.pos += 1;
            return self.string().map(Literal::Text);
        }
        for (word, value) in [("true", true), ("false", false)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(Literal::Bool(value));
            }
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
            .unwrap_or(rest.len());
        match rest[..len].parse::<f64>() {
            Ok(n) if len > 0 && n.is_finite() => {
                self.pos += len;
                Ok(Literal::Number(n))
            }
            _ => self.error("expected a number, a \"string\", true or false"),
        }
    }

    fn comparison(&mut self) -> Result<Node, ExprError> {
        let path = self.path()?;
        self.skip_ws();
        for (token, negate) in [("=~", false), ("!~", true)] {
            if self.eat(token) {
                self.skip_ws();
                if !self.text[self.pos..].starts_with('"') {
                    return self.error("a pattern must be a \"string\"");
                }
                self.pos += 1;
                let at = self.pos;
                let pattern = self.string()?;
                let regex = regex::RegexBuilder::new(&pattern)
                    .size_limit(MAX_REGEX_SIZE)
                    .build()
                    .map_err(|e| ExprError {
                        at,
                        message: format!("bad pattern: {e}"),
                    })?;
                return Ok(Node::Matches(path, regex, negate));
            }
        }
        for (token, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            (">", Op::Gt),
            ("<", Op::Lt),
        ] {
            if self.eat(token) {
                let literal = self.literal()?;
                return Ok(Node::Compare(path, op, literal));
            }
        }
        Ok(Node::Truthy(path))
    }
}

fn lookup<'v>(claims: &'v Map<String, Value>, path: &[String]) -> Option<Step<'v>> {
    let (first, rest) = path.split_first()?;
    let mut current = claims.get(first)?;
    for (i, name) in rest.iter().enumerate() {
        match current {
            Value::Object(map) => current = map.get(name)?,
            Value::Array(items) if i + 1 == rest.len() => {
                return Some(Step::Contains(
                    items.iter().any(|v| v.as_str() == Some(name.as_str())),
                ));
            }
            _ => return None,
        }
    }
    Some(Step::Value(current))
}

enum Step<'v> {
    Value(&'v Value),
    Contains(bool),
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn compare(value: &Value, op: Op, literal: &Literal) -> bool {
    use std::cmp::Ordering;
    let ordering = match (value, literal) {
        (Value::Number(n), Literal::Number(l)) => n.as_f64().and_then(|f| f.partial_cmp(l)),
        (Value::String(s), Literal::Text(l)) => Some(s.as_str().cmp(l.as_str())),
        (Value::Bool(b), Literal::Bool(l)) if matches!(op, Op::Eq | Op::Ne) => Some(b.cmp(l)),
        _ => None,
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
    }
}

fn eval(node: &Node, claims: &Map<String, Value>) -> bool {
    match node {
        Node::Or(items) => items.iter().any(|n| eval(n, claims)),
        Node::And(items) => items.iter().all(|n| eval(n, claims)),
        Node::Not(inner) => !eval(inner, claims),
        Node::Truthy(path) => match lookup(claims, path) {
            Some(Step::Value(v)) => truthy(v),
            Some(Step::Contains(found)) => found,
            None => false,
        },
        Node::Compare(path, op, literal) => match lookup(claims, path) {
            Some(Step::Value(v)) => compare(v, *op, literal),
            _ => false,
        },
        Node::Matches(path, regex, negate) => match lookup(claims, path) {
            Some(Step::Value(Value::String(s))) => regex.is_match(s) != *negate,
            _ => false,
        },
    }
}

impl ClaimsPredicate {
    /// Parses `text` (at most [`MAX_EXPRESSION_LEN`] bytes, nesting at most [`MAX_DEPTH`]).
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        if text.len() > MAX_EXPRESSION_LEN {
            return Err(ExprError {
                at: MAX_EXPRESSION_LEN,
                message: "expression too long".into(),
            });
        }
        let mut parser = Parser {
            text,
            pos: 0,
            depth: 0,
        };
        let root = parser.or()?;
        parser.skip_ws();
        if parser.pos != text.len() {
            return parser.error("unexpected input");
        }
        Ok(Self {
            source: text.to_owned(),
            root,
        })
    }

    /// Whether `claims` satisfy the predicate.
    pub fn evaluate(&self, claims: &Map<String, Value>) -> bool {
        eval(&self.root, claims)
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expr: &str, claims: Value) -> bool {
        ClaimsPredicate::parse(expr)
            .unwrap()
            .evaluate(claims.as_object().unwrap())
    }

    #[test]
    fn microbus_examples() {
        assert!(check("roles.admin", json!({"roles": {"admin": true}})));
        assert!(check("roles.admin", json!({"roles": ["user", "admin"]})));
        assert!(!check("roles.admin", json!({"roles": ["user"]})));
        assert!(!check("roles.admin", json!({})));
        assert!(check("level>5 && !guest", json!({"level": 6})));
        assert!(!check("level>5 && !guest", json!({"level": 5})));
        assert!(!check(
            "level>5 && !guest",
            json!({"level": 9, "guest": true})
        ));
        assert!(check(
            r#"idp=~"corp\.example\.com$""#,
            json!({"idp": "a.corp.example.com"})
        ));
        assert!(!check(
            r#"idp=~"corp\.example\.com$""#,
            json!({"idp": "corpXexample.com"})
        ));
        assert!(!check(r#"idp=~"corp\.example\.com$""#, json!({"idp": 5})));
        assert!(check(r#"idp!~"evil""#, json!({"idp": "good"})));
    }

    #[test]
    fn operators_and_grouping() {
        assert!(check("(a || b) && c == \"x\"", json!({"b": 1, "c": "x"})));
        assert!(!check("a || b && c", json!({"b": 1})));
        assert!(check(
            "n >= 2 && n <= 2 && n != 3 && n < 3",
            json!({"n": 2})
        ));
        assert!(check("flag == true", json!({"flag": true})));
        assert!(!check("flag > true", json!({"flag": true})));
        assert!(
            !check("n > \"1\"", json!({"n": 2})),
            "mismatched types are false"
        );
        assert!(check("!missing", json!({})));
        assert!(check(
            "org.tier == \"gold\"",
            json!({"org": {"tier": "gold"}})
        ));
        assert!(check("s == \"a\\\"b\"", json!({"s": "a\"b"})));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "&&",
            "a &&",
            "a ==",
            "(a",
            "a)",
            "a == b",
            "a =~ b",
            "a =~ \"(\"",
            "a == \"x",
            "a.",
            ".a",
            "a b",
            "a == 1e999",
        ] {
            assert!(ClaimsPredicate::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ClaimsPredicate::parse(&format!("{}a", "!".repeat(40))).is_err());
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert!(ClaimsPredicate::parse(&deep).is_err());
        assert!(ClaimsPredicate::parse(&"a || ".repeat(300)).is_err());
    }
}
