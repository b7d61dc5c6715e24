//! Values that remember where in `platform.kdl` they were written.
//!
//! Every value that came from the spec travels with its span so that any later stage (resolve,
//! graph, rules, the drift scanner) can point back at the exact bytes the user wrote.

use miette::SourceSpan;

/// A value and the byte span of the spec text it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: SourceSpan,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: SourceSpan) -> Self {
        Self { value, span }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned::new(f(self.value), self.span)
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}
