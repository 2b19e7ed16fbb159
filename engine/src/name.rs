//! `Name`: a validated single path component.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};

/// Longest name accepted, in bytes (POSIX `NAME_MAX` on Linux).
pub const NAME_MAX: usize = 255;

/// One path component: never empty, never `.` or `..`, never containing `/` or NUL,
/// at most [`NAME_MAX`] bytes. Cloning is a reference-count increment.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// Validates `s` as a single component.
    pub fn new(s: &str) -> Result<Name> {
        Self::check(s)?;
        Ok(Name(Arc::from(s)))
    }

    /// Checks `s` without allocating; the same rules as [`Name::new`].
    pub fn check(s: &str) -> Result<()> {
        if s.is_empty() || s == "." || s == ".." || s.contains('/') {
            return Err(Error::Invalid("not a single path component"));
        }
        if s.len() > NAME_MAX {
            return Err(Error::NameTooLong);
        }
        if s.as_bytes().contains(&0) {
            return Err(Error::InvalidName);
        }
        Ok(())
    }

    /// The component as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_a_component() {
        assert!(matches!(Name::new(""), Err(Error::Invalid(_))));
        assert!(matches!(Name::new("."), Err(Error::Invalid(_))));
        assert!(matches!(Name::new(".."), Err(Error::Invalid(_))));
        assert!(matches!(Name::new("a/b"), Err(Error::Invalid(_))));
        assert!(matches!(Name::new("a\0b"), Err(Error::InvalidName)));
        assert!(matches!(
            Name::new(&"x".repeat(256)),
            Err(Error::NameTooLong)
        ));
        assert_eq!(Name::new(&"x".repeat(255)).unwrap().as_str().len(), 255);
        assert_eq!(Name::new(".wh.x").unwrap().as_str(), ".wh.x");
    }
}
