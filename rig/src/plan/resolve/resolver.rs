//! The state of one resolve pass: its inputs, the problems found so far and the steps
//! resolved so far, with the helpers that locate a problem in the plan. The other
//! files of this module add methods to [`Resolver`], one job each.

use serde_saphyr::Spanned;

use super::envelope::Envelope;
use super::source::Programmed;
use crate::bench::{Bench, Channels, InstrumentSpec, Role};
use crate::diag::{Problem, Problems, SourceFile, Span};
use crate::dut::DutProfile;
use crate::expr;
use crate::plan::model::{Location, Step};

pub(super) struct Resolver<'a> {
    pub(super) file: &'a SourceFile,
    pub(super) dut: &'a DutProfile,
    pub(super) bench: &'a Bench,
    /// The bench's channels for the plan's pack count: what names may read.
    pub(super) channels: Channels,
    pub(super) envelope: Envelope,
    pub(super) problems: Problems,
    /// The unrolled steps so far; a step's number is its place here.
    pub(super) steps: Vec<Step>,
    /// Set points written so far, to refuse `output: on` before they exist.
    pub(super) programmed: Programmed,
    /// Measurement names so far, with where each was written: names are unique.
    pub(super) measured: Vec<(String, Location)>,
}

impl<'a> Resolver<'a> {
    /// A pass over a plan needing `packs` packs; `problems` are those found before it.
    pub(super) fn new(
        file: &'a SourceFile,
        dut: &'a DutProfile,
        bench: &'a Bench,
        packs: u8,
        problems: Problems,
    ) -> Self {
        Resolver {
            file,
            dut,
            bench,
            channels: Channels::of(bench, packs),
            envelope: Envelope::of(dut, bench),
            problems,
            steps: Vec::new(),
            programmed: Programmed::default(),
            measured: Vec::new(),
        }
    }

    /// The bench's first instrument in `role`, if it has one.
    pub(super) fn instrument(&self, role: Role) -> Option<&'a InstrumentSpec> {
        self.bench
            .instruments
            .values()
            .find(|i| i.driver.role() == role)
    }

    /// The bench's instrument in `role`, or a problem at `at`: "the bench `sim` has no
    /// {lacks}".
    pub(super) fn needs(
        &mut self,
        role: Role,
        at: Span,
        lacks: &str,
        help: Option<&str>,
    ) -> Option<&'a InstrumentSpec> {
        let found = self.instrument(role);
        if found.is_none() {
            let p = Problem::at(
                self.file,
                at,
                format!("the bench `{}` has no {lacks}", self.bench.name),
            );
            self.problems.push(match help {
                Some(h) => p.help(h),
                None => p,
            });
        }
        found
    }

    /// Where a scalar field is (inside its quotes, if quoted).
    pub(super) fn span(&self, field: &Spanned<String>) -> Span {
        Span::of_scalar(&field.referenced, &self.file.text)
    }

    /// The first character of a node: where a mapping (a step, an action) starts.
    pub(super) fn start_of<T>(node: &Spanned<T>) -> Span {
        Span::new(
            node.referenced.span().byte_offset().unwrap_or(0) as usize,
            1,
        )
    }

    pub(super) fn location<T>(&self, node: &Spanned<T>) -> Location {
        Location {
            file: self.file.path.display().to_string(),
            line: node.referenced.line() as usize,
            column: node.referenced.column() as usize,
        }
    }

    /// An expression's error, located inside the field it was written in.
    pub(super) fn expr_problem(&self, span: Span, e: expr::ExprError) -> Problem {
        let p = Problem::at(self.file, span.slice(e.span), e.message);
        match e.help {
            Some(h) => p.help(h),
            None => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{dut, sim, sim_without};
    use super::*;

    #[test]
    fn a_pass_reads_the_channels_of_its_pack_count() {
        let (file, dut, bench) = (SourceFile::new("plan.yaml", ""), dut(), sim());
        let one = Resolver::new(&file, &dut, &bench, 1, Problems::default());
        assert!(one.channels.find("rs485.pack3.soc").is_none());
        let three = Resolver::new(&file, &dut, &bench, 3, Problems::default());
        assert!(three.channels.find("rs485.pack3.soc").is_some());
        assert_eq!(three.envelope.max_voltage.unwrap().value, 57.6);
    }

    #[test]
    fn needs_finds_the_instrument_or_says_the_bench_lacks_it() {
        let (file, dut, bench) = (SourceFile::new("plan.yaml", "x"), dut(), sim());
        let mut r = Resolver::new(&file, &dut, &bench, 1, Problems::default());
        let found = r.needs(Role::Chamber, Span::new(0, 1), "chamber", None);
        assert_eq!(found.map(|i| i.name.as_str()), Some("chamber"));
        assert!(r.problems.is_empty());
        let bench = sim_without("chamber");
        let mut r = Resolver::new(&file, &dut, &bench, 1, Problems::default());
        assert!(
            r.needs(Role::Chamber, Span::new(0, 1), "chamber", Some("add one"))
                .is_none()
        );
        assert_eq!(
            r.problems.to_string(),
            "plan.yaml:1:1: the bench `sim` has no chamber (hint: add one)"
        );
    }
}
