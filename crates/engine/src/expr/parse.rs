//! Reading expression text into a tree whose every node remembers where it came from, so that
//! any later complaint (an unknown column, a date function given text) can point at it.
//!
//! Positions are character offsets (not bytes), because the builder underlines characters.

use super::ExprError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Number(f64),
    Text(String),
    /// A bare name: a column, a function, or one of the words and/or/not/in/true/false/null.
    Name(String),
    /// `[Some label]`: a column by its label.
    Bracketed(String),
    Open,
    Close,
    Comma,
    Op(&'static str),
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Concat => "&",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Number(f64),
    Text(String),
    Bool(bool),
    Null,
    Column(String),
    Neg(Box<Node>),
    Not(Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    /// `x in (a, b)`; `negated` for `x not in (…)`.
    In { value: Box<Node>, items: Vec<Node>, negated: bool },
    /// A function call; `name_end` closes the span of the name alone.
    Call { name: String, args: Vec<Node>, name_end: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub start: usize,
    pub end: usize,
}

pub(crate) fn tokens(text: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(ExprError::at(
                            text,
                            start,
                            chars.len(),
                            format!("The text starting at character {} has no closing {c}", start + 1),
                            Some(format!("add {c} where the text ends")),
                        ))
                    }
                    // A doubled quote inside the text stands for the quote itself, as in spreadsheets.
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        s.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&o) => {
                        s.push(o);
                        i += 1;
                    }
                }
            }
            Tok::Text(s)
        } else if c == '[' {
            let close = chars[i + 1..].iter().position(|&x| x == ']');
            let Some(len) = close else {
                return Err(ExprError::at(
                    text,
                    start,
                    chars.len(),
                    format!("The column name in brackets starting at character {} has no closing ]", start + 1),
                    None,
                ));
            };
            let label: String = chars[i + 1..i + 1 + len].iter().collect();
            i += len + 2;
            Tok::Bracketed(label)
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // 1e3, 2.5E-2
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            match s.parse::<f64>() {
                Ok(n) => Tok::Number(n),
                Err(_) => {
                    return Err(ExprError::at(text, start, i, format!("\"{s}\" at character {} is not a number", start + 1), None))
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            // A trailing dot belongs to no name.
            while chars[i - 1] == '.' {
                i -= 1;
            }
            Tok::Name(chars[start..i].iter().collect())
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "!=" => Some("!="),
                "<>" => Some("<>"),
                "==" => Some("="),
                _ => None,
            };
            if let Some(op) = op {
                i += 2;
                Tok::Op(op)
            } else {
                i += 1;
                match c {
                    '(' => Tok::Open,
                    ')' => Tok::Close,
                    ',' => Tok::Comma,
                    '+' => Tok::Op("+"),
                    '-' => Tok::Op("-"),
                    '*' => Tok::Op("*"),
                    '/' => Tok::Op("/"),
                    '%' => Tok::Op("%"),
                    '&' => Tok::Op("&"),
                    '=' => Tok::Op("="),
                    '<' => Tok::Op("<"),
                    '>' => Tok::Op(">"),
                    _ => {
                        return Err(ExprError::at(
                            text,
                            start,
                            i,
                            format!("The character {c} at character {} means nothing here", start + 1),
                            Some("text goes between quotes, column labels between [brackets]".into()),
                        ))
                    }
                }
            }
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

pub(crate) fn parse(text: &str) -> Result<Node, ExprError> {
    let toks = tokens(text)?;
    let len = text.chars().count();
    if toks.is_empty() {
        return Err(ExprError::at(text, 0, len, "The expression is empty".into(), Some("write a formula, for example hour(created_at)".into())));
    }
    let mut p = Parser { text, toks, pos: 0, len };
    let node = p.or()?;
    if let Some(t) = p.peek() {
        let (start, end) = (t.start, t.end);
        let message = if t.tok == Tok::Close {
            format!("The ) at character {} closes nothing", start + 1)
        } else {
            format!("Unexpected {} at character {}", describe(&t.tok), start + 1)
        };
        let hint = (t.tok != Tok::Close).then(|| "is an operator or a comma missing before it?".to_string());
        return Err(ExprError::at(text, start, end, message, hint));
    }
    Ok(node)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Number(n) => format!("number {n}"),
        Tok::Text(s) => format!("text \"{s}\""),
        Tok::Name(n) => format!("\"{n}\""),
        Tok::Bracketed(l) => format!("[{l}]"),
        Tok::Open => "(".into(),
        Tok::Close => ")".into(),
        Tok::Comma => "comma".into(),
        Tok::Op(o) => (*o).to_string(),
    }
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    len: usize,
}

fn word(t: &Tok, w: &str) -> bool {
    matches!(t, Tok::Name(n) if n.eq_ignore_ascii_case(w))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_is(&self, f: impl Fn(&Tok) -> bool) -> bool {
        self.peek().is_some_and(|t| f(&t.tok))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn err(&self, start: usize, end: usize, message: String, hint: Option<String>) -> ExprError {
        ExprError::at(self.text, start, end, message, hint)
    }

    fn binary(op: BinOp, l: Node, r: Node) -> Node {
        let (start, end) = (l.start, r.end);
        Node { kind: NodeKind::Binary(op, Box::new(l), Box::new(r)), start, end }
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut l = self.and()?;
        while self.peek_is(|t| word(t, "or")) {
            self.next();
            let r = self.and()?;
            l = Self::binary(BinOp::Or, l, r);
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut l = self.not()?;
        while self.peek_is(|t| word(t, "and")) {
            self.next();
            let r = self.not()?;
            l = Self::binary(BinOp::And, l, r);
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Node, ExprError> {
        if self.peek_is(|t| word(t, "not")) {
            let t = self.next().expect("peeked");
            let inner = self.not()?;
            let end = inner.end;
            return Ok(Node { kind: NodeKind::Not(Box::new(inner)), start: t.start, end });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Node, ExprError> {
        let l = self.concat()?;
        let op = match self.peek().map(|t| &t.tok) {
            Some(Tok::Op("=")) => Some(BinOp::Eq),
            Some(Tok::Op("!=" | "<>")) => Some(BinOp::Ne),
            Some(Tok::Op("<")) => Some(BinOp::Lt),
            Some(Tok::Op("<=")) => Some(BinOp::Le),
            Some(Tok::Op(">")) => Some(BinOp::Gt),
            Some(Tok::Op(">=")) => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.next();
            let r = self.concat()?;
            return Ok(Self::binary(op, l, r));
        }
        let negated = self.peek_is(|t| word(t, "not")) && self.toks.get(self.pos + 1).is_some_and(|t| word(&t.tok, "in"));
        if negated || self.peek_is(|t| word(t, "in")) {
            let first = self.next().expect("peeked");
            if negated {
                self.next();
            }
            let open = self.next();
            let open_at = match &open {
                Some(Token { tok: Tok::Open, start, .. }) => *start,
                other => {
                    let (s, e) = other.as_ref().map_or((self.len, self.len), |t| (t.start, t.end));
                    return Err(self.err(
                        first.start,
                        e.max(s),
                        format!("\"in\" at character {} needs a list in parentheses", first.start + 1),
                        Some("write it as channel in (\"email\", \"chat\")".into()),
                    ));
                }
            };
            let (items, close) = self.list(open_at)?;
            let start = l.start;
            return Ok(Node { kind: NodeKind::In { value: Box::new(l), items, negated }, start, end: close });
        }
        Ok(l)
    }

    fn concat(&mut self) -> Result<Node, ExprError> {
        let mut l = self.additive()?;
        while self.peek_is(|t| *t == Tok::Op("&")) {
            self.next();
            let r = self.additive()?;
            l = Self::binary(BinOp::Concat, l, r);
        }
        Ok(l)
    }

    fn additive(&mut self) -> Result<Node, ExprError> {
        let mut l = self.term()?;
        loop {
            let op = match self.peek().map(|t| &t.tok) {
                Some(Tok::Op("+")) => BinOp::Add,
                Some(Tok::Op("-")) => BinOp::Sub,
                _ => break,
            };
            self.next();
            let r = self.term()?;
            l = Self::binary(op, l, r);
        }
        Ok(l)
    }

    fn term(&mut self) -> Result<Node, ExprError> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek().map(|t| &t.tok) {
                Some(Tok::Op("*")) => BinOp::Mul,
                Some(Tok::Op("/")) => BinOp::Div,
                Some(Tok::Op("%")) => BinOp::Rem,
                _ => break,
            };
            self.next();
            let r = self.unary()?;
            l = Self::binary(op, l, r);
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        if self.peek_is(|t| *t == Tok::Op("-")) {
            let t = self.next().expect("peeked");
            let inner = self.unary()?;
            let end = inner.end;
            return Ok(Node { kind: NodeKind::Neg(Box::new(inner)), start: t.start, end });
        }
        if self.peek_is(|t| *t == Tok::Op("+")) {
            self.next();
            return self.unary();
        }
        self.primary()
    }

    /// Items up to the `)` matching the `(` at `open_at`; returns them and the end of the `)`.
    fn list(&mut self, open_at: usize) -> Result<(Vec<Node>, usize), ExprError> {
        let mut items = Vec::new();
        if self.peek_is(|t| *t == Tok::Close) {
            let t = self.next().expect("peeked");
            return Ok((items, t.end));
        }
        loop {
            items.push(self.or()?);
            match self.next() {
                Some(Token { tok: Tok::Comma, .. }) => continue,
                Some(Token { tok: Tok::Close, end, .. }) => return Ok((items, end)),
                None => {
                    return Err(self.err(
                        open_at,
                        open_at + 1,
                        format!("The ( at character {} is never closed", open_at + 1),
                        Some("add ) at the end".into()),
                    ))
                }
                Some(t) => {
                    return Err(self.err(
                        t.start,
                        t.end,
                        format!("Expected a comma or ) at character {}, found {}", t.start + 1, describe(&t.tok)),
                        None,
                    ))
                }
            }
        }
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let Some(t) = self.next() else {
            return Err(self.err(
                self.len,
                self.len,
                "The expression ends too early: a value is missing at the end".into(),
                None,
            ));
        };
        let (start, end) = (t.start, t.end);
        let kind = match t.tok {
            Tok::Number(n) => NodeKind::Number(n),
            Tok::Text(s) => NodeKind::Text(s),
            Tok::Bracketed(label) => NodeKind::Column(label.trim().to_string()),
            Tok::Open => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token { tok: Tok::Close, end, .. }) => return Ok(Node { end, start, ..inner }),
                    None => {
                        return Err(self.err(
                            start,
                            start + 1,
                            format!("The ( at character {} is never closed", start + 1),
                            Some("add ) at the end".into()),
                        ))
                    }
                    Some(o) => {
                        return Err(self.err(
                            o.start,
                            o.end,
                            format!("Expected ) at character {}, found {}", o.start + 1, describe(&o.tok)),
                            None,
                        ))
                    }
                }
            }
            Tok::Name(name) => {
                let lower = name.to_ascii_lowercase();
                if self.peek_is(|t| *t == Tok::Open) {
                    let open = self.next().expect("peeked");
                    let (args, close) = self.list(open.start)?;
                    return Ok(Node { kind: NodeKind::Call { name: lower, args, name_end: end }, start, end: close });
                }
                match lower.as_str() {
                    "true" => NodeKind::Bool(true),
                    "false" => NodeKind::Bool(false),
                    "null" => NodeKind::Null,
                    "and" | "or" | "not" | "in" => {
                        return Err(self.err(
                            start,
                            end,
                            format!("\"{name}\" at character {} needs a value before it", start + 1),
                            None,
                        ))
                    }
                    _ => NodeKind::Column(name),
                }
            }
            Tok::Close => {
                return Err(self.err(start, end, format!("A value is missing before the ) at character {}", start + 1), None))
            }
            Tok::Comma => {
                return Err(self.err(start, end, format!("A value is missing before the comma at character {}", start + 1), None))
            }
            Tok::Op(o) => {
                return Err(self.err(start, end, format!("A value is missing before {o} at character {}", start + 1), None))
            }
        };
        Ok(Node { kind, start, end })
    }
}
