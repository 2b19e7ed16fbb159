//! readdir with stable cookies.

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileType, Ino};
use crate::ofd::Handle;

/// One entry handed out by [`Fs::readdir`].
#[derive(Debug, Clone, Copy)]
pub struct Dirent<'a> {
    /// The name (`.` and `..` included).
    pub name: &'a str,
    /// Inode number.
    pub ino: Ino,
    /// Type.
    pub kind: FileType,
    /// The cookie that resumes the listing after this entry.
    pub next: u64,
}

impl Fs {
    /// Lists directory handle `h` from `cookie` (0 for the start): `.`, `..`,
    /// then the merged entries in name order, calling `f` until it returns false.
    /// Each call costs O(log n) plus the entries handed out.
    pub fn readdir(
        &self,
        h: &Handle,
        cookie: u64,
        f: &mut dyn FnMut(Dirent<'_>) -> bool,
    ) -> Result<()> {
        let mut o = h.borrow_mut();
        self.check_own(&o)?;
        if o.kind != FileType::Dir {
            return Err(Error::NotDir);
        }
        self.check_live(&o)?;
        let dir = o.ino;
        let view = self.view();
        if cookie == 0
            && !f(Dirent {
                name: ".",
                ino: dir,
                kind: FileType::Dir,
                next: 1,
            })
        {
            return Ok(());
        }
        if cookie <= 1 {
            let parent = view.parent(dir)?;
            if !f(Dirent {
                name: "..",
                ino: parent,
                kind: FileType::Dir,
                next: 2,
            }) {
                return Ok(());
            }
        }
        let after = match cookie {
            0..=2 => None,
            // A cookie this description never handed out is past the end, as
            // for an offset beyond a directory's size: the listing is over.
            c => match o.cursor.name_for(c) {
                Some(n) => Some(n.clone()),
                None => return Ok(()),
            },
        };
        let cursor = &mut o.cursor;
        view.list(dir, after.as_ref(), &mut |e| {
            let next = cursor.cookie_for(&e.name);
            f(Dirent {
                name: e.name.as_str(),
                ino: e.ino,
                kind: e.kind,
                next,
            })
        })
    }
}
