//! Which trials a command takes, decided from plan ids and profile ids alone, before any
//! plan is checked against the bench: `--dut` (each plan once per chosen DUT profile),
//! the name filter, `--skip` and `--partition k/n`. A trial left out is not validated,
//! so a plan the bench cannot run does not refuse a run that skips it (issue 14).

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
    /// `--dut`: the profiles each plan runs against (`all`: every profile its `duts/`
    /// folder holds). Empty: each plan's own `dut:`, and trials named as the plans.
    pub duts: Vec<String>,
}

/// `--dut all`: every profile a plan can find.
pub const ALL_DUTS: &str = "all";

/// A plan file with the id read from it, `None` when the file cannot be read as a plan
/// with an id: that file is always kept, so its problem is reported.
pub struct Candidate {
    pub file: PathBuf,
    pub id: Option<String>,
    /// The profile ids the plan can name (its `duts/` folders), for `--dut all`.
    pub profiles: Vec<String>,
}

/// A trial to load: a plan file, and the profile it runs against when `--dut` chose one
/// (`None`: the plan's own `dut:`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub file: PathBuf,
    pub dut: Option<String>,
}

use crate::plan::trial_name;

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
    // A profile id no plan uses finds nothing, so the search lists every profile.
    let profiles = crate::dut::find_profile(&file, "")
        .err()
        .unwrap_or_default();
    Candidate { file, id, profiles }
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

/// The profiles a plan runs against: `None` (its own) without `--dut`; `all` stands
/// for every profile it can find (its own, when it finds none, so that is reported).
fn duts_of(c: &Candidate, sel: &Selection) -> Vec<Option<String>> {
    if sel.duts.is_empty() {
        return vec![None];
    }
    let mut duts: Vec<Option<String>> = Vec::new();
    for d in &sel.duts {
        let named: Vec<String> = match d.as_str() {
            ALL_DUTS if c.profiles.is_empty() => vec![],
            ALL_DUTS => c.profiles.clone(),
            one => vec![one.to_string()],
        };
        for n in named {
            if !duts.contains(&Some(n.clone())) {
                duts.push(Some(n));
            }
        }
    }
    if duts.is_empty() {
        duts.push(None);
    }
    duts
}

/// Every trial's name before filters and partition, for the check that each filter
/// matches something.
pub fn all_names(candidates: &[Candidate], sel: &Selection) -> Vec<String> {
    let mut names = Vec::new();
    for c in candidates {
        if let Some(id) = &c.id {
            names.extend(duts_of(c, sel).iter().map(|d| trial_name(id, d.as_deref())));
        }
    }
    names
}

/// The trials to load: each plan once per chosen profile, filtered and skipped by trial
/// name, then partitioned. The partition is over the distinct trial names in sorted
/// order (a trial is a plan x profile; two files with one id go to one partition, where
/// their clash is reported). Files whose id cannot be read are kept.
pub fn select(candidates: Vec<Candidate>, filters: &[String], sel: &Selection) -> Vec<Chosen> {
    let mut trials: Vec<(Chosen, Option<String>)> = Vec::new();
    for c in &candidates {
        for dut in duts_of(c, sel) {
            let name = c.id.as_deref().map(|id| trial_name(id, dut.as_deref()));
            if name.as_deref().is_none_or(|n| kept(n, filters, sel)) {
                let file = c.file.clone();
                trials.push((Chosen { file, dut }, name));
            }
        }
    }
    let Some(partition) = sel.partition else {
        return trials.into_iter().map(|(c, _)| c).collect();
    };
    let mut names: Vec<&str> = trials.iter().filter_map(|(_, n)| n.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    let taken: std::collections::BTreeSet<String> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| partition.takes(*i))
        .map(|(_, n)| (*n).to_string())
        .collect();
    trials
        .into_iter()
        .filter(|(_, n)| n.as_ref().is_none_or(|n| taken.contains(n)))
        .map(|(c, _)| c)
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
                profiles: vec!["p1".into(), "p2".into(), "p3".into()],
            })
            .collect()
    }

    fn paths(chosen: Vec<Chosen>) -> Vec<PathBuf> {
        chosen.into_iter().map(|c| c.file).collect()
    }

    fn names(chosen: &[Chosen]) -> Vec<String> {
        let id = |c: &Chosen| c.file.file_stem().unwrap().to_string_lossy().to_string();
        chosen
            .iter()
            .map(|c| trial_name(&id(c), c.dut.as_deref()))
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
                all.extend(paths(select(files(&ids), &[], &sel)));
            }
            all.sort();
            let mut whole = paths(select(files(&ids), &[], &Selection::default()));
            whole.sort();
            assert_eq!(all, whole, "n = {n}");
        }
        let second_of_three = Selection {
            partition: Some(Partition { k: 2, n: 3 }),
            ..Selection::default()
        };
        let got = paths(select(files(&ids), &[], &second_of_three));
        assert_eq!(got, [PathBuf::from("e.yaml"), PathBuf::from("b.yaml")]);
    }

    /// With `--dut`, a trial is a plan x profile: the partitions split the trials (not
    /// the plans), each trial in exactly one, in trial-name order.
    #[test]
    fn partitions_split_the_plan_by_profile_matrix() {
        let ids = ["e", "a", "d", "b", "c"];
        for duts in [vec![ALL_DUTS.to_string()], vec!["p3".into(), "p1".into()]] {
            let whole_sel = Selection {
                duts: duts.clone(),
                ..Selection::default()
            };
            let mut whole = names(&select(files(&ids), &[], &whole_sel));
            whole.sort();
            assert_eq!(whole.len(), ids.len() * if duts.len() == 1 { 3 } else { 2 });
            for n in 1..=7 {
                let mut union = Vec::new();
                for k in 1..=n {
                    let sel = Selection {
                        partition: Some(Partition { k, n }),
                        ..whole_sel.clone()
                    };
                    let part = names(&select(files(&ids), &[], &sel));
                    // Deterministic: the same share twice is the same trials.
                    assert_eq!(part, names(&select(files(&ids), &[], &sel)));
                    let expected: Vec<&String> = whole.iter().skip(k - 1).step_by(n).collect();
                    let mut sorted = part.clone();
                    sorted.sort();
                    assert_eq!(sorted.iter().collect::<Vec<_>>(), expected, "{k}/{n}");
                    union.extend(part);
                }
                union.sort();
                let before = union.len();
                union.dedup();
                assert_eq!(before, union.len(), "disjoint, n = {n}");
                assert_eq!(union, whole, "union is the whole matrix, n = {n}");
            }
        }
    }

    #[test]
    fn trials_are_named_plan_and_profile_and_filtered_by_that_name() {
        let sel = Selection {
            duts: vec![ALL_DUTS.into()],
            skip: vec!["::p2".into()],
            ..Selection::default()
        };
        let got = names(&select(files(&["a", "b"]), &["a::".into()], &sel));
        assert_eq!(got, ["a::p1", "a::p3"]);
        // Without `--dut`, the plan's own profile and the plan's id as the name.
        let own = select(files(&["a"]), &[], &Selection::default());
        assert_eq!(names(&own), ["a"]);
        assert_eq!(own[0].dut, None);
        // A profile named twice (or by `all` and by name) is one trial.
        let twice = Selection {
            duts: vec!["p2".into(), ALL_DUTS.into(), "p2".into()],
            ..Selection::default()
        };
        assert_eq!(
            names(&select(files(&["a"]), &[], &twice)),
            ["a::p2", "a::p1", "a::p3"]
        );
    }

    #[test]
    fn filters_and_skips_apply_before_the_partition() {
        let sel = Selection {
            skip: vec!["cocp_b".into()],
            ..Selection::default()
        };
        let got = paths(select(
            files(&["cocp_a", "cocp_b", "x"]),
            &["cocp".into()],
            &sel,
        ));
        assert_eq!(got, [PathBuf::from("cocp_a.yaml")]);
        let exact = Selection {
            exact: true,
            ..Selection::default()
        };
        let got = paths(select(files(&["cocp", "cocp_b"]), &["cocp".into()], &exact));
        assert_eq!(got, [PathBuf::from("cocp.yaml")]);
        // A file whose id cannot be read is kept, so its problem is reported.
        let mut unread = files(&["a"]);
        unread.push(Candidate {
            file: "broken.yaml".into(),
            id: None,
            profiles: vec![],
        });
        assert_eq!(select(unread, &["zzz".into()], &exact).len(), 1);
    }
}
