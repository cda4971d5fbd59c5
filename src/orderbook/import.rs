//! `refund-recon import-orders FILE`: CSV (header `order_number,total,currency,placed_at,refs`
//! where refs is `kind:value;kind:value`) or JSON lines (`{"orderNumber":…}` per line). A bad
//! row is reported with its line number and the rest is still imported; importing the same
//! file again changes nothing.

use std::path::Path;

use crate::domain::OrderFacts;

use super::{OrderEntry, RefEntry};

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: usize,
    pub reason: String,
}

/// The parsed file: good rows with their line numbers, and bad rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<(usize, OrderFacts)>,
    pub bad: Vec<BadRow>,
}

#[derive(Debug, serde::Deserialize)]
struct CsvRow {
    order_number: String,
    total: String,
    currency: String,
    #[serde(default)]
    placed_at: Option<String>,
    #[serde(default)]
    refs: Option<String>,
}

fn csv_entry(r: CsvRow) -> Result<OrderEntry, String> {
    let placed_at = match r
        .placed_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|_| format!("placed_at `{t}` is not RFC 3339"))?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    let mut refs = Vec::new();
    for part in r
        .refs
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (kind, value) = part
            .split_once(':')
            .ok_or_else(|| format!("reference `{part}` is not `kind:value`"))?;
        refs.push(RefEntry {
            kind: kind.into(),
            value: value.into(),
        });
    }
    Ok(OrderEntry {
        order_number: r.order_number,
        total: r.total,
        currency: r.currency,
        placed_at,
        refs,
    })
}

/// Parses CSV or JSON lines, chosen by the file extension (`.jsonl`/`.ndjson`/`.json` are
/// JSON lines) or, failing that, by whether the first non-blank character is `{`.
pub fn parse(path: &Path, text: &str) -> Parsed {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = matches!(ext.as_str(), "jsonl" | "ndjson" | "json")
        || (ext != "csv" && text.trim_start().starts_with('{'));
    if json {
        parse_jsonl(text)
    } else {
        parse_csv(text)
    }
}

fn push(out: &mut Parsed, line: usize, entry: Result<OrderEntry, String>) {
    match entry.and_then(|e| e.facts()) {
        Ok(f) => out.rows.push((line, f)),
        Err(reason) => out.bad.push(BadRow { line, reason }),
    }
}

fn parse_jsonl(text: &str) -> Parsed {
    let mut out = Parsed::default();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str::<OrderEntry>(l).map_err(|e| e.to_string());
        push(&mut out, i + 1, entry);
    }
    out
}

fn parse_csv(text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            out.bad.push(BadRow {
                line: 1,
                reason: format!("cannot read the header: {e}"),
            });
            return out;
        }
    };
    for rec in rdr.records() {
        match rec {
            Ok(record) => {
                let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
                let entry = record
                    .deserialize::<CsvRow>(Some(&headers))
                    .map_err(|e| e.to_string())
                    .and_then(csv_entry);
                push(&mut out, line, entry);
            }
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                out.bad.push(BadRow {
                    line,
                    reason: e.to_string(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_parse_with_refs_and_bad_rows_keep_their_line_numbers() {
        let text = "order_number,total,currency,placed_at,refs\n\
                    #1001,49.99,EUR,2026-11-01T10:00:00Z,shopify_order:123;tiktok_order:9\n\
                    #1002,abc,EUR,,\n\
                    #1003,10,ZZZ,,\n\
                    #1004,5.00,usd,,\n";
        let p = parse(Path::new("orders.csv"), text);
        assert_eq!(p.rows.len(), 2, "{:?}", p.bad);
        assert_eq!(p.rows[0].0, 2);
        assert_eq!(p.rows[0].1.refs.len(), 2);
        assert_eq!(p.rows[1].0, 5);
        assert_eq!(p.rows[1].1.total.unwrap().currency.code(), "USD");
        assert_eq!(p.bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn json_lines_parse_and_report_bad_lines() {
        let text = "{\"orderNumber\":\"A\",\"total\":\"1.50\",\"currency\":\"USD\",\"refs\":[{\"kind\":\"k\",\"value\":\"v\"}]}\n\n{not json}\n{\"orderNumber\":\"B\",\"total\":\"-1\",\"currency\":\"USD\"}\n";
        let p = parse(Path::new("orders.jsonl"), text);
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.bad.iter().map(|b| b.line).collect::<Vec<_>>(), vec![3, 4]);
        assert!(p.bad[1].reason.contains("negative"));
    }
}
