//! Line breaking as Node's `reduceToSingleString` with `breakLength: 80, compact: 3`: entries go on
//! one line when they fit, else one per line; arrays of more than six short entries are grouped
//! into aligned columns (`groupArrayElements`), numbers right-aligned.

use rquickjs::{Object, Value};

use super::inspector::Inspector;
use super::text::{js_len, string_width};
use super::{BREAK_LENGTH, COMPACT, MAX_ARRAY_LENGTH};

impl<'js> Inspector<'_, 'js> {
    /// Node's `reduceToSingleString` for `compact: 3`.
    pub(super) fn reduce_to_single_string(
        &self,
        mut output: Vec<String>,
        base: &str,
        braces: &[String; 2],
        extras: bool,
        recurse: i64,
        value: Option<&Object<'js>>,
    ) -> String {
        let entries = output.len();
        if extras && entries > 6 {
            output = self.group_array_elements(output, value);
        }
        let base_prefix = if base.is_empty() {
            String::new()
        } else {
            format!("{base} ")
        };
        if self.current_depth - recurse < COMPACT && entries == output.len() {
            let start = output.len() + self.indent + js_len(&braces[0]) + js_len(base) + 10;
            if is_below_break_length(&output, start, base) {
                let joined = output.join(", ");
                if !joined.contains('\n') {
                    return format!("{base_prefix}{} {joined} {}", braces[0], braces[1]);
                }
            }
        }
        let indentation = format!("\n{}", " ".repeat(self.indent));
        let joined = output.join(&format!(",{indentation}  "));
        format!(
            "{base_prefix}{}{indentation}  {joined}{indentation}{}",
            braces[0], braces[1]
        )
    }

    /// Node's `groupArrayElements`: lays out many short entries in aligned columns.
    fn group_array_elements(
        &self,
        output: Vec<String>,
        value: Option<&Object<'js>>,
    ) -> Vec<String> {
        let mut output_len = output.len();
        if MAX_ARRAY_LENGTH < output.len() {
            output_len -= 1;
        }
        let data_len: Vec<usize> = output[..output_len]
            .iter()
            .map(|o| string_width(o))
            .collect();
        let Some(columns) = self.grouping_columns(&data_len, output.len()) else {
            return output;
        };
        let max_line = column_widths(&data_len, columns);
        let pad_start = value.is_none_or(|v| self.all_numeric(v, output.len()));
        let mut grouped = Vec::new();
        for row in (0..output_len).step_by(columns) {
            let end = (row + columns).min(output_len);
            grouped.push(layout_row(
                &output, &data_len, &max_line, row, end, pad_start,
            ));
        }
        if MAX_ARRAY_LENGTH < output.len() {
            grouped.extend(output.last().cloned());
        }
        grouped
    }

    /// How many columns entries of these widths are grouped into; `None` to leave them as they
    /// are (entries too wide, or too few short ones to be worth it).
    fn grouping_columns(&self, data_len: &[usize], entries: usize) -> Option<usize> {
        let total: usize = data_len.iter().map(|l| l + 2).sum();
        let max_len = data_len.iter().copied().max().unwrap_or(0);
        let actual_max = max_len + 2;
        let fits = actual_max * 3 + self.indent < BREAK_LENGTH;
        if !(fits && (total as f64 / actual_max as f64 > 5.0 || max_len <= 6)) {
            return None;
        }
        let columns = self.column_count(data_len, entries, actual_max);
        (columns > 1).then_some(columns)
    }

    fn column_count(&self, data_len: &[usize], entries: usize, actual_max: usize) -> usize {
        let total: usize = data_len.iter().map(|l| l + 2).sum();
        let actual = actual_max as f64;
        let average_bias = (actual - total as f64 / entries as f64).sqrt();
        let biased_max = (actual - 3.0 - average_bias).max(1.0);
        let square = ((2.5 * biased_max * data_len.len() as f64).sqrt() / biased_max).round();
        let by_width = (BREAK_LENGTH.saturating_sub(self.indent) as f64 / actual).floor();
        square
            .min(by_width)
            .min(COMPACT as f64 * 4.0)
            .clamp(0.0, 15.0) as usize
    }

    /// Whether the first `count` elements are all numbers or BigInts (then columns align right).
    fn all_numeric(&self, value: &Object<'js>, count: usize) -> bool {
        (0..count).all(|i| {
            let item = u32::try_from(i)
                .ok()
                .and_then(|i| self.sh.ok(value.get::<_, Value>(i)));
            item.is_some_and(|v| v.is_number() || v.is_big_int())
        })
    }
}

/// The widest entry of each column, plus the separator.
fn column_widths(data_len: &[usize], columns: usize) -> Vec<usize> {
    let widest = |i: usize| data_len.iter().skip(i).step_by(columns).max().copied();
    (0..columns).map(|i| widest(i).unwrap_or(0) + 2).collect()
}

/// One row of grouped entries, padded to the column widths (`padStart` for numbers).
fn layout_row(
    output: &[String],
    data_len: &[usize],
    max_line: &[usize],
    row: usize,
    end: usize,
    pad_start: bool,
) -> String {
    let mut line = String::new();
    for j in row..end {
        let last = j + 1 == end;
        let cell = if last {
            output[j].clone()
        } else {
            format!("{}, ", output[j])
        };
        if last && !pad_start {
            line.push_str(&cell);
            continue;
        }
        let extra = js_len(&output[j]) as i64 - data_len[j] as i64;
        let width = max_line[j - row] as i64 + extra - if last { 2 } else { 0 };
        let pad = " ".repeat(usize::try_from(width - js_len(&cell) as i64).unwrap_or(0));
        match pad_start {
            true => line.push_str(&(pad + &cell)),
            false => line.push_str(&(cell + &pad)),
        }
    }
    line
}

/// Node's `isBelowBreakLength`.
fn is_below_break_length(output: &[String], start: usize, base: &str) -> bool {
    let mut total = output.len() + start;
    if total + output.len() > BREAK_LENGTH {
        return false;
    }
    for entry in output {
        total += js_len(entry);
        if total > BREAK_LENGTH {
            return false;
        }
    }
    base.is_empty() || !base.contains('\n')
}
