//! Which plan files a command takes, decided from their ids alone, before any plan is
//! checked against the bench: the name filter, `--skip` and `--partition k/n`. A plan
//! left out is not validated, so a plan the bench cannot run does not refuse a run
//! that skips it (issue 14).

use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

use crate::diag::SourceFile;

/// Share `k` of `n` (1-based) of the selected plans, as nextest's `--partition count:k/n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    pub k: usize,
    pub n: usize,
}

impl FromStr for Partition {
    type Err = String;

    /// `k/n` or `count:k/n`, with 1 ≤ k ≤ n.
    fn from_str(s: &str) -> Result<Partition, String> {
        let body = s.strip_prefix("count:").unwrap_or(s);
        let bad = || format!("--partition `{s}`: expected k/n (e.g. 2/4), with 1 ≤ k ≤ n");
        let (k, n) = body.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k == 0 {
            return Err(format!(
                "--partition `{s}`: partitions count from 1 (k and n must be at least 1)"
            ));
        }
        if k > n {
            return Err(format!(
                "--partition `{s}`: there is no partition {k} of {n} (k must be at most n)"
            ));
        }
        Ok(Partition { k, n })
    }
}

impl Partition {
    /// Whether the `i`-th (0-based) of the sorted trials is in this partition.
    pub fn takes(self, i: usize) -> bool {
        i % self.n + 1 == self.k
    }
}

/// What to leave out, besides the positional name filters.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Leave out plans whose id contains one of these (equals one, with `exact`).
    pub skip: Vec<String>,
    /// Filters and skips must match ids exactly.
    pub exact: bool,
    pub partition: Option<Partition>,
}

/// A plan file with the id read from it, `None` when the file cannot be read as a plan
/// with an id: that file is always kept, so its problem is reported.
pub struct Candidate {
    pub file: PathBuf,
    pub id: Option<String>,
}

/// Only the `id:` of a plan: every other key is ignored, so this reads any plan the
/// full loader would go on to check (or reject with its own message).
#[derive(Deserialize)]
struct PlanId {
    id: String,
}

pub fn candidate(file: PathBuf) -> Candidate {
    let id = SourceFile::read(&file)
        .ok()
        .and_then(|f| crate::input::parse_yaml::<PlanId>(&f).ok())
        .map(|p| p.id);
    Candidate { file, id }
}

/// Whether `id` survives the name filters (a plan matches when it matches one of them;
/// `rig run` takes one at most) and the skips, as libtest-mimic decides it for the trials.
fn kept(id: &str, filters: &[String], sel: &Selection) -> bool {
    let matches = |f: &String| {
        if sel.exact {
            id == f
        } else {
            id.contains(f.as_str())
        }
    };
    (filters.is_empty() || filters.iter().any(matches)) && !sel.skip.iter().any(matches)
}

/// The files to load: filtered and skipped by id, then partitioned. The partition is over
/// the distinct ids in sorted order (a trial is a plan; two files with one id go to one
/// partition, where their clash is reported). Files whose id cannot be read are kept.
pub fn select(candidates: Vec<Candidate>, filters: &[String], sel: &Selection) -> Vec<PathBuf> {
    let kept: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| c.id.as_deref().is_none_or(|id| kept(id, filters, sel)))
        .collect();
    let Some(partition) = sel.partition else {
        return kept.into_iter().map(|c| c.file).collect();
    };
    let mut ids: Vec<&str> = kept.iter().filter_map(|c| c.id.as_deref()).collect();
    ids.sort_unstable();
    ids.dedup();
    let taken: std::collections::BTreeSet<String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| partition.takes(*i))
        .map(|(_, id)| (*id).to_string())
        .collect();
    kept.into_iter()
        .filter(|c| c.id.as_ref().is_none_or(|id| taken.contains(id)))
        .map(|c| c.file)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_bad_ones_say_why() {
        assert_eq!("2/4".parse(), Ok(Partition { k: 2, n: 4 }));
        assert_eq!("count:1/1".parse(), Ok(Partition { k: 1, n: 1 }));
        for (bad, words) in [
            ("0/3", "count from 1"),
            ("1/0", "count from 1"),
            ("4/3", "no partition 4 of 3"),
            ("2", "expected k/n"),
            ("a/b", "expected k/n"),
            ("-1/3", "expected k/n"),
            ("hash:1/2", "expected k/n"),
        ] {
            let e = bad.parse::<Partition>().unwrap_err();
            assert!(e.contains(words), "{bad}: {e}");
        }
    }

    fn files(ids: &[&str]) -> Vec<Candidate> {
        ids.iter()
            .map(|id| Candidate {
                file: PathBuf::from(format!("{id}.yaml")),
                id: Some((*id).to_string()),
            })
            .collect()
    }

    #[test]
    fn partitions_are_disjoint_and_cover_the_selection_in_id_order() {
        let ids = ["e", "a", "d", "b", "c", "f", "g"];
        for n in 1..=4 {
            let mut all = Vec::new();
            for k in 1..=n {
                let sel = Selection {
                    partition: Some(Partition { k, n }),
                    ..Selection::default()
                };
                all.extend(select(files(&ids), &[], &sel));
            }
            all.sort();
            let mut whole = select(files(&ids), &[], &Selection::default());
            whole.sort();
            assert_eq!(all, whole, "n = {n}");
        }
        let second_of_three = Selection {
            partition: Some(Partition { k: 2, n: 3 }),
            ..Selection::default()
        };
        let got = select(files(&ids), &[], &second_of_three);
        assert_eq!(got, [PathBuf::from("e.yaml"), PathBuf::from("b.yaml")]);
    }

    #[test]
    fn filters_and_skips_apply_before_the_partition() {
        let sel = Selection {
            skip: vec!["cocp_b".into()],
            ..Selection::default()
        };
        let got = select(files(&["cocp_a", "cocp_b", "x"]), &["cocp".into()], &sel);
        assert_eq!(got, [PathBuf::from("cocp_a.yaml")]);
        let exact = Selection {
            exact: true,
            ..Selection::default()
        };
        let got = select(files(&["cocp", "cocp_b"]), &["cocp".into()], &exact);
        assert_eq!(got, [PathBuf::from("cocp.yaml")]);
        // A file whose id cannot be read is kept, so its problem is reported.
        let mut unread = files(&["a"]);
        unread.push(Candidate {
            file: "broken.yaml".into(),
            id: None,
        });
        assert_eq!(select(unread, &["zzz".into()], &exact).len(), 1);
    }
}
