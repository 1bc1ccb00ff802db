//! Problems in input files (plans, DUT profiles, bench files), each located by file,
//! line and column, with a label and what would be right. All problems of a file are
//! collected and reported at once; none of them touches an instrument.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// A loaded input file: its path and text, shared (cheaply cloned) by the diagnostics
/// that point into it.
#[derive(Clone, Debug)]
pub struct SourceFile(Arc<SourceInner>);

#[derive(Debug)]
pub struct SourceInner {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// The same text named by its path, for miette's snippet header.
    named: NamedSource<String>,
}

impl std::ops::Deref for SourceFile {
    type Target = SourceInner;

    fn deref(&self) -> &SourceInner {
        &self.0
    }
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let path = path.into();
        let text: Arc<str> = text.into();
        let named = NamedSource::new(path.display().to_string(), text.to_string());
        Self(Arc::new(SourceInner { path, text, named }))
    }

    /// A plan, profile or bench file, within the bounds of [`crate::input`].
    pub fn read(path: &Path) -> Result<Self, Problem> {
        crate::input::read_source(path)
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// A byte range in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }

    /// The span of a YAML scalar; for quoted scalars, the text inside the quotes.
    pub fn of_scalar(loc: &serde_saphyr::Location, source: &str) -> Self {
        let span = loc.span();
        let offset = span.byte_offset().unwrap_or(0) as usize;
        let len = span.byte_len().unwrap_or(0) as usize;
        let quoted = source
            .get(offset..offset + 1)
            .is_some_and(|c| c == "\"" || c == "'");
        if quoted && len >= 2 {
            Self::new(offset + 1, len - 2)
        } else {
            Self::new(offset, len)
        }
    }

    /// A sub-range, for an error inside an expression string.
    pub fn slice(self, range: std::ops::Range<usize>) -> Self {
        let start = (self.offset + range.start).min(self.offset + self.len);
        let end = (self.offset + range.end).clamp(start, self.offset + self.len.max(1));
        Self::new(start, (end - start).max(if self.len == 0 { 0 } else { 1 }))
    }
}

/// One problem: what is wrong, where, and what would be right.
#[derive(Clone, Debug)]
pub struct Problem {
    pub message: String,
    pub source: Option<SourceFile>,
    pub span: Option<Span>,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Problem {
    pub fn at(source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: Some(source.clone()),
            span: Some(span),
            label: None,
            help: None,
        }
    }

    pub fn in_file(source: &SourceFile, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: Some(source.clone()),
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn without_source(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `path:line:column`, or the path alone.
    pub fn location(&self) -> Option<String> {
        let source = self.source.as_ref()?;
        Some(match self.span {
            Some(span) => {
                let (line, col) = source.line_col(span.offset);
                format!("{}:{line}:{col}", source.path.display())
            }
            None => source.path.display().to_string(),
        })
    }

    /// Rendered with the source snippet, for terminals. A snippet is shown only where
    /// its lines are short enough to read: miette pads the underline with a formatting
    /// width that must fit in a `u16`, and panics past column 65,535.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        let rendered = if self.snippet_fits() {
            handler.render_report(&mut out, self)
        } else {
            handler.render_report(&mut out, &WithoutSnippet(self))
        };
        if rendered.is_err() {
            return self.one_line();
        }
        out
    }

    /// Whether every line the snippet would show (the span's lines and one on each
    /// side) is at most [`MAX_SNIPPET_LINE`] characters long.
    fn snippet_fits(&self) -> bool {
        let (Some(source), Some(span)) = (&self.source, self.span) else {
            return true;
        };
        let text = &source.text;
        let start = span.offset.min(text.len());
        let end = (span.offset + span.len).min(text.len()).max(start);
        let Some(shown) = text.get(..end) else {
            return false;
        };
        let first = shown[..start].rfind('\n').map_or(0, |i| i + 1);
        let before = shown[..first.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let after = text[end..]
            .match_indices('\n')
            .nth(1)
            .map_or(text.len(), |(i, _)| end + i);
        text.get(before..after).is_some_and(|lines| {
            lines
                .split('\n')
                .all(|l| l.chars().count() <= MAX_SNIPPET_LINE)
        })
    }
}

impl Problem {
    /// One line: `path:line:col: message: label (hint: ...)`, for logs and tests.
    pub fn one_line(&self) -> String {
        let mut out = String::new();
        if let Some(loc) = self.location() {
            out.push_str(&loc);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        if let Some(label) = &self.label {
            out.push_str(": ");
            out.push_str(label);
        }
        if let Some(help) = &self.help {
            out.push_str(&format!(" (hint: {help})"));
        }
        out
    }
}

impl fmt::Display for Problem {
    /// The message with its location; the snippet and the hint are rendered apart.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(loc) => write!(f, "{loc}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Problem {}

/// Longest source line shown in a snippet, characters.
const MAX_SNIPPET_LINE: usize = 1000;

/// A problem rendered by its location and message only: its lines are too long for a
/// snippet.
struct WithoutSnippet<'a>(&'a Problem);

impl fmt::Debug for WithoutSnippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for WithoutSnippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (the line is too long to show)", self.0)
    }
}

impl std::error::Error for WithoutSnippet<'_> {}

impl Diagnostic for WithoutSnippet<'_> {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help()
    }
}

impl Diagnostic for Problem {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| &s.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        let label = self.label.clone().or_else(|| Some("here".into()));
        Some(Box::new(std::iter::once(LabeledSpan::new(
            label,
            span.offset,
            span.len,
        ))))
    }
}

/// All problems found in the inputs of one run; never empty when returned as an error.
#[derive(Clone, Debug, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn extend(&mut self, other: Problems) {
        self.0.extend(other.0);
    }

    /// `Ok(value)` when nothing was found.
    pub fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }
}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Self {
        Problems(vec![p])
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&p.one_line())?;
        }
        Ok(())
    }
}

/// A YAML syntax or shape error from serde-saphyr, as a located problem.
pub fn yaml_problem(source: &SourceFile, err: &serde_saphyr::Error) -> Problem {
    let message = yaml_message(err);
    let span = err.location().map(|loc| {
        let s = loc.span();
        let offset = s.byte_offset().map(|o| o as usize).unwrap_or_else(|| {
            offset_of_line_col(&source.text, loc.line() as usize, loc.column() as usize)
        });
        Span::new(offset, s.byte_len().unwrap_or(1).max(1) as usize)
    });
    Problem {
        message,
        source: Some(source.clone()),
        span,
        label: None,
        help: None,
    }
}

/// serde-saphyr's message without its own location prefix and snippet (we render ours).
fn yaml_message(err: &serde_saphyr::Error) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("invalid YAML");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = match first.find(": ") {
        Some(i) if first.starts_with("line ") => &first[i + 2..],
        _ => first,
    };
    // serde-saphyr's advice is for programmers: a plan's author cannot set its options.
    let message = message
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(message);
    match message.strip_prefix("budget breached: ") {
        Some(which) => format!("the file exceeds the rig's input limits ({which})"),
        None => message.to_string(),
    }
}

fn offset_of_line_col(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset
                + l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(0, |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

/// Names close to `wanted`, for "did you mean" hints: those within an edit distance of
/// 2, or failing that, those sharing its first four characters.
pub fn near_misses<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let known: Vec<&str> = known.into_iter().collect();
    let mut close: Vec<(usize, &str)> = known
        .iter()
        .map(|k| (edit_distance(wanted, k), *k))
        .filter(|(d, _)| *d <= 2)
        .collect();
    if close.is_empty() && wanted.len() >= 4 {
        let prefix = wanted.get(..4).unwrap_or(wanted);
        close = known
            .iter()
            .filter(|k| k.starts_with(prefix))
            .map(|k| (edit_distance(wanted, k), *k))
            .collect();
    }
    close.sort();
    close.into_iter().map(|(_, k)| k).take(3).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = SourceFile::new("p.yaml", "id: x\nsteps:\n  - a\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(6), (2, 1));
        assert_eq!(src.line_col(15), (3, 3));
    }

    #[test]
    fn near_misses_find_typos() {
        let known = ["source", "relay", "chamber", "expect"];
        assert_eq!(near_misses("sourse", known), vec!["source"]);
        assert!(near_misses("zzz", known).is_empty());
    }

    #[test]
    fn display_names_file_line_column() {
        let src = SourceFile::new("p.yaml", "id: x\nvoltage: 80 V\n");
        let p = Problem::at(&src, Span::new(15, 4), "too high").help("at most 57.6 V");
        assert_eq!(p.to_string(), "p.yaml:2:10: too high");
        assert_eq!(p.one_line(), "p.yaml:2:10: too high (hint: at most 57.6 V)");
        let rendered = p.render();
        assert!(
            rendered.contains("80 V") && rendered.contains("p.yaml:2:10"),
            "{rendered}"
        );
        assert!(rendered.contains("help: at most 57.6 V"), "{rendered}");
    }

    /// miette pads its underline with a `u16` width: past column 65,535 it panicked.
    #[test]
    fn a_problem_past_column_65535_renders_without_a_snippet() {
        for col in [1_001, 65_536, 200_000] {
            let text = format!("title: {}\nx: 1\n", "a".repeat(col));
            let src = SourceFile::new("p.yaml", text);
            let p = Problem::at(&src, Span::new(7 + col - 1, 1), "too long").help("shorten it");
            let rendered = p.render();
            assert!(
                rendered.contains(&format!(
                    "p.yaml:1:{}: too long (the line is too long to show)",
                    col + 7
                )),
                "{rendered}"
            );
            assert!(rendered.contains("help: shorten it"), "{rendered}");
        }
        let src = SourceFile::new("p.yaml", format!("x: 1\ny: 2\n{}\n", "a".repeat(70_000)));
        let next_to_long = Problem::at(&src, Span::new(6, 1), "beside a long line");
        assert!(next_to_long.render().contains("too long to show"));
        let far = Problem::at(&src, Span::new(0, 1), "two lines away");
        assert!(far.render().contains("╭─[p.yaml:1:1]"), "{}", far.render());
    }
}
