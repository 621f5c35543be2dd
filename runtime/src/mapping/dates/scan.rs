//! The tokens of V8's date parser, read off UTF-16 units: numbers (at most nine significant digits
//! kept, length counted with leading zeros), the symbols `: - + . )`, words looked up by their
//! first three letters (months, zones, `am`/`pm`, `t`), single whitespace, skipped parentheses.

/// One token. Words that are no keyword are `Word`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::mapping) enum Token {
    Number(i64, usize),
    Symbol(u8),
    Month(i64),
    /// A zone name with its offset in hours and the word's length (`z` is the only one of length 1).
    Zone(i64, usize),
    TimeSeparator,
    AmPm(i64),
    Word,
    Space,
    Unknown,
    End,
    /// Not a token: the ISO parser's verdict that the string cannot be a date.
    Invalid,
}

impl Token {
    pub(in crate::mapping) fn is_sign(self) -> bool {
        matches!(self, Token::Symbol(b'+' | b'-'))
    }

    pub(in crate::mapping) fn is_z(self) -> bool {
        matches!(self, Token::Zone(0, 1))
    }

    pub(in crate::mapping) fn is_keyword(self) -> bool {
        matches!(
            self,
            Token::Month(_) | Token::Zone(..) | Token::TimeSeparator | Token::AmPm(_) | Token::Word
        )
    }
}

/// V8's `DateStringTokenizer` with one token of lookahead.
pub(in crate::mapping) struct Scanner<'a> {
    units: &'a [u16],
    pos: usize,
    peeked: Token,
}

impl<'a> Scanner<'a> {
    pub(in crate::mapping) fn new(units: &'a [u16]) -> Self {
        let mut scanner = Scanner {
            units,
            pos: 0,
            peeked: Token::End,
        };
        scanner.peeked = scanner.scan();
        scanner
    }

    pub(in crate::mapping) fn peek(&self) -> Token {
        self.peeked
    }

    pub(in crate::mapping) fn next(&mut self) -> Token {
        let token = self.peeked;
        self.peeked = self.scan();
        token
    }

    pub(in crate::mapping) fn skip_symbol(&mut self, symbol: u8) -> bool {
        let skip = self.peeked == Token::Symbol(symbol);
        if skip {
            self.peeked = self.scan();
        }
        skip
    }

    /// The current unit; 0 at the end (and, as in V8, for a NUL in the string).
    fn ch(&self) -> u16 {
        self.units.get(self.pos).copied().unwrap_or(0)
    }

    fn scan(&mut self) -> Token {
        let c = self.ch();
        if c == 0 {
            return Token::End;
        }
        if is_digit(c) {
            return self.number();
        }
        if let Some(symbol) = [b':', b'-', b'+', b'.', b')']
            .into_iter()
            .find(|s| u16::from(*s) == c)
        {
            self.pos += 1;
            return Token::Symbol(symbol);
        }
        if c >= u16::from(b'A') && !is_space(c) {
            return self.word();
        }
        if is_space(c) {
            self.pos += 1;
            return Token::Space;
        }
        if c == u16::from(b'(') {
            self.skip_parentheses();
        } else {
            self.pos += 1;
        }
        Token::Unknown
    }

    fn number(&mut self) -> Token {
        let start = self.pos;
        while self.ch() == u16::from(b'0') {
            self.pos += 1;
        }
        let (mut n, mut significant) = (0_i64, 0);
        while is_digit(self.ch()) {
            if significant < 9 {
                n = n * 10 + i64::from(self.ch() - u16::from(b'0'));
            }
            significant += 1;
            self.pos += 1;
        }
        Token::Number(n, self.pos - start)
    }

    fn word(&mut self) -> Token {
        let mut prefix = [0_u16; 3];
        let mut len = 0;
        while self.ch() >= u16::from(b'A') && !is_space(self.ch()) {
            if len < 3 {
                prefix[len] = self.ch() | 0x20;
            }
            len += 1;
            self.pos += 1;
        }
        keyword(prefix, len)
    }

    fn skip_parentheses(&mut self) {
        let mut balance = 0;
        loop {
            match self.ch() {
                c if c == u16::from(b')') => balance -= 1,
                c if c == u16::from(b'(') => balance += 1,
                _ => {}
            }
            self.pos += 1;
            if balance <= 0 || self.ch() == 0 {
                break;
            }
        }
    }
}

fn is_digit(c: u16) -> bool {
    (u16::from(b'0')..=u16::from(b'9')).contains(&c)
}

fn is_space(c: u16) -> bool {
    char::from_u32(u32::from(c)).is_some_and(crate::mapping::js::is_space)
}

const KEYWORDS: [(&[u8; 3], Token); 27] = [
    (b"jan", Token::Month(1)),
    (b"feb", Token::Month(2)),
    (b"mar", Token::Month(3)),
    (b"apr", Token::Month(4)),
    (b"may", Token::Month(5)),
    (b"jun", Token::Month(6)),
    (b"jul", Token::Month(7)),
    (b"aug", Token::Month(8)),
    (b"sep", Token::Month(9)),
    (b"oct", Token::Month(10)),
    (b"nov", Token::Month(11)),
    (b"dec", Token::Month(12)),
    (b"am\0", Token::AmPm(0)),
    (b"pm\0", Token::AmPm(12)),
    (b"ut\0", Token::Zone(0, 0)),
    (b"utc", Token::Zone(0, 0)),
    (b"z\0\0", Token::Zone(0, 0)),
    (b"gmt", Token::Zone(0, 0)),
    (b"cdt", Token::Zone(-5, 0)),
    (b"cst", Token::Zone(-6, 0)),
    (b"edt", Token::Zone(-4, 0)),
    (b"est", Token::Zone(-5, 0)),
    (b"mdt", Token::Zone(-6, 0)),
    (b"mst", Token::Zone(-7, 0)),
    (b"pdt", Token::Zone(-7, 0)),
    (b"pst", Token::Zone(-8, 0)),
    (b"t\0\0", Token::TimeSeparator),
];

/// `KeywordTable::Lookup`: the three-letter prefix must match; only month names may be longer.
fn keyword(prefix: [u16; 3], len: usize) -> Token {
    let found = KEYWORDS.iter().find(|(name, token)| {
        name.iter().zip(prefix).all(|(a, b)| u16::from(*a) == b)
            && (len <= 3 || matches!(token, Token::Month(_)))
    });
    match found {
        Some((_, Token::Zone(hours, _))) => Token::Zone(*hours, len),
        Some((_, token)) => *token,
        None => Token::Word,
    }
}

/// `ReadMilliseconds`: the first three significant digits, from the value and the digit count.
pub(in crate::mapping) fn milliseconds(n: i64, len: usize) -> i64 {
    match len {
        1 => n * 100,
        2 => n * 10,
        0 | 3 => n,
        _ => n / 10_i64.pow(len.min(9) as u32 - 3),
    }
}
