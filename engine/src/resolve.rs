//! Path resolution: one component at a time, confined to the base directory.
//!
//! Modeled on cap-std's manual resolver: a worklist of components (a symlink's
//! target is pushed back onto it), and a stack of directories already resolved so
//! `..` pops instead of re-resolving. `..` above the base, an absolute path or an
//! absolute symlink target is an escape.

use std::borrow::Cow;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::inode::{FileType, Ino};
use crate::name::Name;
use crate::overlay::View;

/// The outcome of resolving a path.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// The directory holding the final component.
    pub(crate) parent: Ino,
    /// The final component; `None` when the path ends in `.` or `..` (it then
    /// names `parent`'s child directory given by `target`).
    pub(crate) name: Option<Name>,
    /// The object named, if it exists.
    pub(crate) target: Option<(Ino, FileType)>,
    /// The path ended with a slash (or a symlink whose target did): the final
    /// object must be a directory.
    pub(crate) dir_required: bool,
}

impl Resolved {
    /// The existing target, or `NotFound`.
    pub(crate) fn existing(&self) -> Result<(Ino, FileType)> {
        self.target.ok_or(Error::NotFound)
    }
}

/// Resolves `path` relative to directory `base`. The final component is followed
/// if it is a symlink only when `follow` is set or the path ends with a slash.
pub(crate) fn resolve(
    view: &View<'_>,
    config: &Config,
    base: Ino,
    path: &str,
    follow: bool,
) -> Result<Resolved> {
    // PATH_MAX counts the terminating NUL: a path of max_path bytes is one
    // too many (Linux, and so wasmtime-wasi, say ENAMETOOLONG there).
    if path.len() >= config.max_path {
        return Err(Error::NameTooLong);
    }
    if path.as_bytes().contains(&0) {
        return Err(Error::InvalidName);
    }
    if path.is_empty() {
        return Err(Error::NotFound);
    }
    if path.starts_with('/') {
        return Err(Error::Escape);
    }
    let mut dir_required = path.ends_with('/');
    // Components in reverse order, so the next one is popped from the end.
    // Borrowed from `path`; only symlink targets' components are owned.
    let mut work: Vec<Cow<'_, str>> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(Cow::Borrowed)
        .collect();
    let mut stack: Vec<Ino> = vec![base];
    let mut expansions = 0usize;

    while let Some(comp) = work.pop() {
        let last = work.is_empty();
        let cur = *stack.last().ok_or(Error::Escape)?;
        match &*comp {
            "." => {}
            ".." => {
                if stack.len() == 1 {
                    return Err(Error::Escape);
                }
                stack.pop();
            }
            name => {
                // Only the final component needs an owned `Name`.
                Name::check(name)?;
                match view.lookup_str(cur, name)? {
                    None if last => {
                        return Ok(Resolved {
                            parent: cur,
                            name: Some(Name::new(name)?),
                            target: None,
                            dir_required,
                        });
                    }
                    None => return Err(Error::NotFound),
                    Some((ino, FileType::Symlink)) if !last || follow || dir_required => {
                        expansions += 1;
                        if expansions > config.max_symlinks {
                            return Err(Error::Loop);
                        }
                        let target = view.readlink(ino)?;
                        if target.starts_with('/') {
                            return Err(Error::Escape);
                        }
                        if target.is_empty() {
                            return Err(Error::NotFound);
                        }
                        if last && target.ends_with('/') {
                            dir_required = true;
                        }
                        if work.len() + target.len() > config.max_path {
                            return Err(Error::NameTooLong);
                        }
                        work.extend(
                            target
                                .split('/')
                                .filter(|c| !c.is_empty())
                                .rev()
                                .map(|c| Cow::Owned(c.to_owned())),
                        );
                    }
                    Some((ino, FileType::Dir)) if !last => stack.push(ino),
                    Some(_) if !last => return Err(Error::NotDir),
                    Some((ino, kind)) => {
                        if dir_required && kind != FileType::Dir {
                            return Err(Error::NotDir);
                        }
                        return Ok(Resolved {
                            parent: cur,
                            name: Some(Name::new(name)?),
                            target: Some((ino, kind)),
                            dir_required,
                        });
                    }
                }
            }
        }
    }
    // The path ended in `.`, `..` or a symlink to a directory reached through
    // them: it names the directory on top of the stack.
    let dir = *stack.last().ok_or(Error::Escape)?;
    let parent = if stack.len() >= 2 {
        stack[stack.len() - 2]
    } else {
        view.parent(dir)?
    };
    Ok(Resolved {
        parent,
        name: None,
        target: Some((dir, FileType::Dir)),
        dir_required: true,
    })
}
