//! V8's legacy date heuristics, run on what the ISO parser left: numbers followed by `:` are times,
//! other numbers day parts, words months or zones, `+hhmm` an offset after a time or `GMT`.
//! Garbage words are allowed only before the first number.

use super::scan::{Scanner, Token, milliseconds};
use super::{NONE, Parts};

/// Consumes the rest of the string into `p`; `None` where V8 gives up.
pub(super) fn finish(first: Token, sc: &mut Scanner, p: &mut Parts) -> Option<()> {
    let mut has_number = !p.day.is_empty();
    let mut token = first;
    while token != Token::End {
        match token {
            Token::Number(n, _) => {
                has_number = true;
                number(n, sc, p)?;
            }
            t if t.is_keyword() => word(t, sc, p, has_number)?,
            Token::Symbol(sign @ (b'+' | b'-')) if p.zone_is_utc() || !p.time.is_empty() => {
                has_number = true;
                offset(if sign == b'+' { 1 } else { -1 }, sc, p)?;
            }
            Token::Symbol(b'+' | b'-' | b')') if has_number => return None,
            _ => {}
        }
        token = sc.next();
    }
    Some(())
}

fn number(n: i64, sc: &mut Scanner, p: &mut Parts) -> Option<()> {
    if sc.skip_symbol(b':') {
        if sc.skip_symbol(b':') {
            if !p.time.is_empty() {
                return None;
            }
            p.add_time(n);
            p.add_time(0);
        } else {
            p.add_time(n).then_some(())?;
            if sc.peek() == Token::Symbol(b'.') {
                sc.next();
            }
        }
    } else if sc.skip_symbol(b'.') && p.time_expects(n) {
        p.add_time(n);
        let Token::Number(ms, len) = sc.peek() else {
            return None;
        };
        sc.next();
        p.add_time_final(milliseconds(ms, len));
    } else if p.zone_expects(n) {
        p.tz_minute = n;
    } else if p.time_expects(n) {
        p.add_time_final(n);
        let next = sc.peek();
        let fine = matches!(next, Token::End | Token::Space) || next.is_z() || next.is_sign();
        fine.then_some(())?;
    } else {
        p.add_day(n).then_some(())?;
        sc.skip_symbol(b'-');
    }
    Some(())
}

fn word(token: Token, sc: &mut Scanner, p: &mut Parts, has_number: bool) -> Option<()> {
    match token {
        Token::AmPm(offset) if !p.time.is_empty() => p.hour_offset = offset,
        Token::Month(month) => {
            p.named_month = month;
            sc.skip_symbol(b'-');
        }
        Token::Zone(hours, _) if has_number => p.set_zone_hours(hours),
        _ => {
            // Garbage words only before the first number, and not glued to it.
            if has_number || matches!(sc.peek(), Token::Number(..)) {
                return None;
            }
        }
    }
    Some(())
}

/// `+hh`, `+hhmm`, `+hh:` after a time or a UTC zone.
fn offset(sign: i64, sc: &mut Scanner, p: &mut Parts) -> Option<()> {
    p.tz_sign = sign;
    let (n, len) = match sc.peek() {
        Token::Number(n, len) => {
            sc.next();
            (n, len)
        }
        _ => (0, 0),
    };
    if sc.peek() == Token::Symbol(b':') {
        p.tz_hour = n;
        p.tz_minute = NONE;
    } else if matches!(len, 1 | 2) {
        p.tz_hour = n;
        p.tz_minute = 0;
    } else if matches!(len, 3 | 4) {
        p.tz_hour = n / 100;
        p.tz_minute = n % 100;
    } else {
        return None;
    }
    Some(())
}
