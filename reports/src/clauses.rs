//! The run's measurements by manual clause, for a certification engineer: each clause of
//! the DUT's manual that a measured limit rests on (the profile value the limit read,
//! and its `source:` quote or `assumption:`), with the value, limits, margin and verdict.
//! A measurement whose limits read two profile values is listed under both clauses;
//! one whose limits read none is listed last, as the plan's own limits.

use std::cmp::Ordering;

use crate::compare::natural_cmp;
use crate::event::LimitBasis;
use crate::measure::MeasurementRecord;
use crate::run::RunData;

/// One row: a measurement under one clause.
#[derive(Debug)]
pub struct ClauseRow<'a> {
    /// `§3.3.2 Parameters`, `1 Technical Data`; `None`: the profile names no clause
    /// (an assumption without one), or the limits read no profile value.
    pub clause: Option<String>,
    /// The profile value and what it rests on; `None`: limits written in the plan.
    pub basis: Option<&'a LimitBasis>,
    pub plan: &'a str,
    /// The DUT profile whose manual the clause is of.
    pub dut: &'a str,
    pub measurement: &'a MeasurementRecord,
}

impl ClauseRow<'_> {
    /// What the manual says (the quote after the clause), or the assumption.
    pub fn grounds(&self) -> Grounds<'_> {
        grounds(self.basis)
    }
}

fn grounds(basis: Option<&LimitBasis>) -> Grounds<'_> {
    match basis.map(|b| (&b.source, &b.assumption)) {
        Some((Some(s), _)) => Grounds::Manual(quote(s)),
        Some((None, Some(a))) => Grounds::Assumption(a),
        _ => Grounds::Plan,
    }
}

/// Why a limit is what it is.
#[derive(Debug, PartialEq)]
pub enum Grounds<'a> {
    /// The manual's words.
    Manual(&'a str),
    /// Not in the manual: the profile's reason for the figure.
    Assumption(&'a str),
    /// The plan wrote the limits itself.
    Plan,
}

/// Every judged measurement of the run (recorded ones have no limit to check), by DUT
/// profile (each cites its own manual), then by clause in natural order (`§3.4` before `§3.10`), rows without a clause last; within
/// a clause in the run's order.
pub fn rows(run: &RunData) -> Vec<ClauseRow<'_>> {
    let mut rows = Vec::new();
    for p in &run.plans {
        for m in &p.detail.measurements {
            if m.min.is_none() && m.max.is_none() {
                continue;
            }
            let (plan, dut) = (p.summary.plan_id.as_str(), p.summary.dut_id.as_str());
            if m.basis.is_empty() {
                rows.push(ClauseRow {
                    clause: None,
                    basis: None,
                    plan,
                    dut,
                    measurement: m,
                });
            }
            for b in &m.basis {
                rows.push(ClauseRow {
                    clause: clause_of(b),
                    basis: Some(b),
                    plan,
                    dut,
                    measurement: m,
                });
            }
        }
    }
    rows.sort_by(|a, b| {
        a.dut
            .cmp(b.dut)
            .then_with(|| by_clause(a.clause.as_deref(), b.clause.as_deref()))
    });
    rows
}

/// Natural order of clauses; no clause last.
fn by_clause(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => natural_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The clause a profile value cites: a source's words before its first `:`
/// (`§3.3.2 Parameters: 'Rated voltage 51.2V'`, `1 Technical Data: '…'`), or the first
/// `§` section an assumption names (`§3.4 gives no COCP threshold; …`).
pub fn clause_of(b: &LimitBasis) -> Option<String> {
    if let Some(s) = &b.source {
        if let Some((head, _)) = s.split_once(':')
            && !head.trim().is_empty()
            && head.chars().count() <= 40
        {
            return Some(head.trim().to_string());
        }
        return section(s);
    }
    b.assumption.as_deref().and_then(section)
}

/// The first `§` and the section number after it (`§3.3.2`, `§2.3-3`, with the name of
/// the document when one is written before it) that is not a section of the
/// repository's own notes (`docs/protocols.md §1.1`).
fn section(text: &str) -> Option<String> {
    text.match_indices('§').find_map(|(i, _)| {
        if text[..i].trim_end().ends_with(".md") {
            return None;
        }
        let number: String = text[i + '§'.len_utf8()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
            .collect();
        let number = number.trim_end_matches(['.', '-']);
        // Another document named just before it (`LOSUN §2.3-3` in a Lesso profile's
        // assumption) stays with the section, so it is not read as the DUT's own.
        let named = text[..i].split_whitespace().next_back().filter(|w| {
            w.starts_with(|c: char| c.is_uppercase()) && w.chars().all(char::is_alphabetic)
        });
        (!number.is_empty()).then(|| match named {
            Some(doc) => format!("{doc} §{number}"),
            None => format!("§{number}"),
        })
    })
}

/// A source without its clause: `'Rated voltage 51.2V'` of `§3.3.2: 'Rated voltage 51.2V'`.
fn quote(source: &str) -> &str {
    match source.split_once(':') {
        Some((head, rest)) if head.chars().count() <= 40 && !rest.trim().is_empty() => rest.trim(),
        _ => source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(s: &str) -> LimitBasis {
        LimitBasis {
            value: "dut.x".into(),
            source: Some(s.into()),
            assumption: None,
        }
    }

    fn assumption(a: &str) -> LimitBasis {
        LimitBasis {
            value: "dut.x".into(),
            source: None,
            assumption: Some(a.into()),
        }
    }

    #[test]
    fn the_clause_is_what_the_source_cites_before_its_quote() {
        let b = source("§3.3.2 Parameters: 'Rated voltage 51.2V'");
        assert_eq!(clause_of(&b).as_deref(), Some("§3.3.2 Parameters"));
        assert_eq!(grounds(Some(&b)), Grounds::Manual("'Rated voltage 51.2V'"));
        let b = source("1 Technical Data: 'Nominal Voltage 51.2V'");
        assert_eq!(clause_of(&b).as_deref(), Some("1 Technical Data"));
    }

    #[test]
    fn an_assumption_gives_the_section_it_names_or_none() {
        let b = assumption("§3.4 gives no COCP threshold; taken above §3.3.2");
        assert_eq!(clause_of(&b).as_deref(), Some("§3.4"));
        assert_eq!(clause_of(&assumption("the manual gives none")), None);
        let b = assumption("1000 ms (docs/protocols.md §1.1); LOSUN §2.3-3 note: 'every 4 hours'");
        assert_eq!(clause_of(&b).as_deref(), Some("LOSUN §2.3-3"));
        let b = assumption("the manual gives none");
        assert_eq!(
            grounds(Some(&b)),
            Grounds::Assumption("the manual gives none")
        );
        assert_eq!(grounds(None), Grounds::Plan);
    }

    #[test]
    fn clauses_sort_as_a_reader_counts_and_rows_without_one_go_last() {
        let mut clauses = vec![Some("§3.10"), None, Some("§3.4"), Some("§3.3.2")];
        clauses.sort_by(|a, b| by_clause(*a, *b));
        assert_eq!(clauses, [Some("§3.3.2"), Some("§3.4"), Some("§3.10"), None]);
    }
}
