//! `Date.parse` as V8 does it, with the process in UTC (the SDK sets `TZ=UTC` before parsing): the
//! ES5 ISO form first, and whatever is left through V8's legacy heuristics (`Jan 2 2020`,
//! `1/2/2020 3:04 PM`, `Thu, 02 Jan 2020 10:00:00 GMT`, even `"12"`, which is 2001-12-01).
//! Also `toISOString`. The algorithm follows V8's `dateparser`; this is a reimplementation.

mod legacy;
mod scan;

use scan::{Scanner, Token};

const NONE: i64 = i64::MAX;

/// Milliseconds since the epoch, or `None` where `Date.parse` gives NaN.
pub(super) fn parse(s: &str) -> Option<f64> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut scanner = Scanner::new(&units);
    let mut parts = Parts::default();
    let next = iso(&mut scanner, &mut parts);
    if matches!(next, Token::Invalid) {
        return None;
    }
    legacy::finish(next, &mut scanner, &mut parts)?;
    parts.time_value()
}

/// What the composers collect: up to three day numbers, up to four time numbers, a zone.
#[derive(Debug)]
pub(super) struct Parts {
    pub(super) day: Vec<i64>,
    pub(super) named_month: i64,
    pub(super) iso_date: bool,
    pub(super) time: Vec<i64>,
    pub(super) hour_offset: i64,
    pub(super) tz_sign: i64,
    pub(super) tz_hour: i64,
    pub(super) tz_minute: i64,
}

impl Default for Parts {
    fn default() -> Self {
        Parts {
            day: Vec::new(),
            named_month: NONE,
            iso_date: false,
            time: Vec::new(),
            hour_offset: NONE,
            tz_sign: NONE,
            tz_hour: NONE,
            tz_minute: NONE,
        }
    }
}

pub(super) fn between(x: i64, lo: i64, hi: i64) -> bool {
    (lo..=hi).contains(&x)
}

impl Parts {
    pub(super) fn add_day(&mut self, n: i64) -> bool {
        let room = self.day.len() < 3;
        if room {
            self.day.push(n);
        }
        room
    }

    pub(super) fn add_time(&mut self, n: i64) -> bool {
        let room = self.time.len() < 4;
        if room {
            self.time.push(n);
        }
        room
    }

    pub(super) fn add_time_final(&mut self, n: i64) -> bool {
        if !self.add_time(n) {
            return false;
        }
        self.time.resize(4, 0);
        true
    }

    pub(super) fn time_expects(&self, n: i64) -> bool {
        match self.time.len() {
            1 | 2 => between(n, 0, 59),
            3 => between(n, 0, 999),
            _ => false,
        }
    }

    pub(super) fn set_zone_hours(&mut self, hours: i64) {
        self.tz_sign = if hours < 0 { -1 } else { 1 };
        self.tz_hour = hours.abs();
        self.tz_minute = 0;
    }

    pub(super) fn zone_expects(&self, n: i64) -> bool {
        self.tz_hour != NONE && self.tz_minute == NONE && between(n, 0, 59)
    }

    pub(super) fn zone_is_utc(&self) -> bool {
        self.tz_hour == 0 && self.tz_minute == 0
    }

    /// Year, month (0-based) and day, as V8's `DayComposer::Write` (which fills the missing parts
    /// with 1 before it looks at how many there are, so `"12"` is December 1st of 2001).
    fn ymd(&self) -> Option<(i64, i64, i64)> {
        if self.day.is_empty() {
            return None;
        }
        let mut c = self.day.clone();
        c.resize(3, 1);
        let (mut year, month, day) = if self.named_month == NONE {
            if self.iso_date || !between(c[0], 1, 31) {
                (c[0], c[1], c[2])
            } else {
                (c[2], c[0], c[1])
            }
        } else if !between(c[0], 1, 31) {
            (c[0], self.named_month, c[1])
        } else {
            (c[1], self.named_month, c[0])
        };
        if !self.iso_date {
            if between(year, 0, 49) {
                year += 2000;
            } else if between(year, 50, 99) {
                year += 1900;
            }
        }
        let valid = i32::try_from(year).is_ok() && between(month, 1, 12) && between(day, 1, 31);
        valid.then_some((year, month - 1, day))
    }

    /// Hours, minutes, seconds, milliseconds, as `TimeComposer::Write`.
    fn hms(&self) -> Option<[i64; 4]> {
        let mut t = [0_i64; 4];
        t[..self.time.len()].copy_from_slice(&self.time);
        if self.hour_offset != NONE {
            if !between(t[0], 0, 12) {
                return None;
            }
            t[0] = t[0] % 12 + self.hour_offset;
        }
        let [h, m, s, ms] = t;
        let ok = between(h, 0, 23) && between(m, 0, 59) && between(s, 0, 59) && between(ms, 0, 999);
        (ok || (h == 24 && m == 0 && s == 0 && ms == 0)).then_some(t)
    }

    /// The UTC offset in seconds (0 for local time: the process runs in UTC).
    fn offset_seconds(&self) -> Option<i64> {
        if self.tz_sign == NONE {
            return Some(0);
        }
        let hour = if self.tz_hour == NONE {
            0
        } else {
            self.tz_hour
        };
        let minute = if self.tz_minute == NONE {
            0
        } else {
            self.tz_minute
        };
        let total = hour
            .checked_mul(3600)?
            .checked_add(minute.checked_mul(60)?)?;
        (total <= i64::from(i32::MAX)).then_some(total * self.tz_sign)
    }

    fn time_value(&self) -> Option<f64> {
        let (year, month, day) = self.ymd()?;
        let [h, m, s, ms] = self.hms()?;
        let offset = self.offset_seconds()?;
        let days = make_day(year, month)? + (day - 1) as f64;
        let time = (h * 3_600_000 + m * 60_000 + s * 1000 + ms) as f64;
        let t = days * 86_400_000.0 + time - offset as f64 * 1000.0;
        (t.abs() <= 8.64e15).then_some(t)
    }
}

/// Days from the epoch to the first of `month` (0-based) of `year`; `None` past ±1,000,000 years.
fn make_day(year: i64, month: i64) -> Option<f64> {
    if !between(year, -1_000_000, 1_000_000) {
        return None;
    }
    let y = year + month.div_euclid(12);
    let m = month.rem_euclid(12);
    let before = |y: i64| 365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400);
    let days_to_year = before(y - 1) - before(1969);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const CUMULATIVE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let extra = i64::from(leap && m >= 2);
    Some((days_to_year + CUMULATIVE[m as usize] + extra) as f64)
}

/// `[('-'|'+')yy]yyyy[-MM[-DD]][THH:mm[:ss[.sss]][Z|(+|-)hh:mm]]`, as far as it goes: the token the
/// legacy parser goes on with, `Token::End` if the whole string was ISO, `Token::Invalid` if it
/// cannot be a date at all.
fn iso(sc: &mut Scanner, p: &mut Parts) -> Token {
    if let Err(token) = iso_date(sc, p) {
        return token;
    }
    if !matches!(sc.peek(), Token::TimeSeparator) {
        if !matches!(sc.peek(), Token::End) {
            return sc.next();
        }
    } else if !iso_time(sc, p) {
        return Token::Invalid;
    }
    // Date-only forms are UTC, date-time forms local time (which is UTC here too).
    if p.tz_hour == NONE && p.time.is_empty() {
        p.set_zone_hours(0);
    }
    p.iso_date = true;
    Token::End
}

/// `[('-'|'+')yy]yyyy[-MM[-DD]]`; `Err` carries the token the legacy parser goes on with.
fn iso_date(sc: &mut Scanner, p: &mut Parts) -> Result<(), Token> {
    if sc.peek().is_sign() {
        let sign = sc.next();
        let Token::Number(year, 6) = sc.peek() else {
            return Err(sign);
        };
        let negative = matches!(sign, Token::Symbol(b'-'));
        if negative && year == 0 {
            return Err(sign);
        }
        sc.next();
        p.add_day(if negative { -year } else { year });
    } else if let Token::Number(year, 4) = sc.peek() {
        sc.next();
        p.add_day(year);
    } else {
        return Err(sc.next());
    }
    if sc.skip_symbol(b'-') {
        p.add_day(take_two(sc, 1, 12).ok_or_else(|| sc.next())?);
        if sc.skip_symbol(b'-') {
            p.add_day(take_two(sc, 1, 31).ok_or_else(|| sc.next())?);
        }
    }
    Ok(())
}

/// A two-digit number within `lo..=hi`, consumed; `None` (nothing consumed) otherwise.
fn take_two(sc: &mut Scanner, lo: i64, hi: i64) -> Option<i64> {
    match sc.peek() {
        Token::Number(n, 2) if between(n, lo, hi) => {
            sc.next();
            Some(n)
        }
        _ => None,
    }
}

/// `THH:mm[:ss[.sss]][Z|(+|-)hh:mm|(+|-)hhmm]` to the end of the string (hour 24 only as 24:00).
fn iso_time(sc: &mut Scanner, p: &mut Parts) -> bool {
    sc.next();
    let Some(hour) = take_two(sc, 0, 24) else {
        return false;
    };
    let is_24 = hour == 24;
    let max = if is_24 { 0 } else { 59 };
    p.add_time(hour);
    if !sc.skip_symbol(b':') {
        return false;
    }
    let Some(minute) = take_two(sc, 0, max) else {
        return false;
    };
    p.add_time(minute);
    if sc.skip_symbol(b':') {
        let Some(second) = take_two(sc, 0, max) else {
            return false;
        };
        p.add_time(second);
        if sc.skip_symbol(b'.') {
            let Token::Number(ms, len) = sc.peek() else {
                return false;
            };
            if is_24 && ms > 0 {
                return false;
            }
            sc.next();
            p.add_time(scan::milliseconds(ms, len));
        }
    }
    iso_zone(sc, p) && matches!(sc.peek(), Token::End)
}

fn iso_zone(sc: &mut Scanner, p: &mut Parts) -> bool {
    if sc.peek().is_z() {
        sc.next();
        p.set_zone_hours(0);
        return true;
    }
    let Token::Symbol(sign @ (b'+' | b'-')) = sc.peek() else {
        return true;
    };
    sc.next();
    p.tz_sign = if sign == b'+' { 1 } else { -1 };
    if let Token::Number(hhmm, 4) = sc.peek() {
        sc.next();
        (p.tz_hour, p.tz_minute) = (hhmm / 100, hhmm % 100);
        return between(p.tz_hour, 0, 23) && between(p.tz_minute, 0, 59);
    }
    let Some(hour) = take_two(sc, 0, 23) else {
        return false;
    };
    p.tz_hour = hour;
    if !sc.skip_symbol(b':') {
        return false;
    }
    let Some(minute) = take_two(sc, 0, 59) else {
        return false;
    };
    p.tz_minute = minute;
    true
}

/// `Date.prototype.toISOString` (years outside 0..=9999 as `±YYYYYY`).
pub(super) fn to_iso_string(ms: f64) -> String {
    let ms = ms as i64;
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs())
    };
    format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
