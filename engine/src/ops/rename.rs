//! rename: atomic, across layers, never EXDEV.

use crate::cost;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{Entry, FileType};
use crate::ofd::Handle;

impl Fs {
    /// Renames `from` (relative to `from_base`) to `to` (relative to `to_base`),
    /// replacing a non-directory, or an empty directory, at `to` (POSIX
    /// `renameat`). Lower files and directories move like upper ones: a moved
    /// lower directory keeps its inode number, so its lower contents follow it.
    pub fn rename(
        &mut self,
        from_base: &Handle,
        from: &str,
        to_base: &Handle,
        to: &str,
    ) -> Result<()> {
        self.atomic(|fs| {
            fs.check_writable_fs()?;
            let src = fs.resolve_at(from_base, from, false)?;
            let (sino, skind) = src.existing()?;
            let sname = src.name.clone().ok_or(Error::Busy)?;
            let dst = fs.resolve_at(to_base, to, false)?;
            let dname = dst.name.clone().ok_or(Error::Busy)?;
            fs.check_dir_alive(dst.parent)?;
            if sino == fs.tree.root {
                return Err(Error::Busy);
            }
            if dst.dir_required && skind != FileType::Dir {
                return Err(Error::NotDir);
            }
            if skind == FileType::Dir {
                // Refuse to move a directory into its own subtree. Checked before
                // the target: over a non-empty directory of that subtree, POSIX
                // rename (and Linux) say EINVAL, not ENOTEMPTY.
                let mut p = dst.parent;
                loop {
                    if p == sino {
                        return Err(Error::Invalid("rename of a directory into itself"));
                    }
                    let up = fs.view().parent(p)?;
                    if up == p {
                        break;
                    }
                    p = up;
                }
            }
            if let Some((dino, dkind)) = dst.target {
                if dino == sino {
                    // Two names of one object: POSIX says do nothing.
                    return Ok(());
                }
                match (skind, dkind) {
                    (FileType::Dir, FileType::Dir) if !fs.view().is_empty_dir(dino)? => {
                        return Err(Error::NotEmpty);
                    }
                    (FileType::Dir, FileType::Dir) => {}
                    (FileType::Dir, _) => return Err(Error::NotDir),
                    (_, FileType::Dir) => return Err(Error::IsDir),
                    _ => {}
                }
            }

            // Copy-ups and the quota check, then the changes (all undone on error).
            let whiteout = fs.view().lower_has(src.parent, &sname)?;
            let replaced = dst.target;
            let replaced_record = match replaced {
                Some((d, _)) => fs.needs_record(d)?,
                None => false,
            };
            fs.copy_up(src.parent)?;
            fs.copy_up(dst.parent)?;
            fs.copy_up(sino)?;
            if let (Some((d, _)), true) = (replaced, replaced_record) {
                fs.copy_up(d)?;
            }
            // Names are memory: the destination's may be new, and the source's
            // goes, or stays as a whiteout (new if it named a lower entry).
            let src_cost = cost::entry(sname.as_str().len());
            let mut names = cost::entry(dname.as_str().len());
            match (whiteout, fs.has_upper_entry(src.parent, &sname)) {
                (true, false) => names += src_cost,
                (false, true) => names = names.saturating_sub(src_cost),
                _ => {}
            }
            fs.reserve(0, names)?;

            let now = fs.now();
            let moved_dir = skind == FileType::Dir && src.parent != dst.parent;
            if whiteout {
                fs.put_entry(src.parent, sname, Entry::Whiteout)?;
            } else {
                fs.remove_name(src.parent, &sname)?;
            }
            fs.put_entry(dst.parent, dname, Entry::Node(sino, skind))?;
            let sp = fs.inode_mut(src.parent)?;
            if moved_dir {
                sp.meta.nlink = sp.meta.nlink.saturating_sub(1);
            }
            sp.meta.mtime = now;
            sp.meta.ctime = now;
            let dp = fs.inode_mut(dst.parent)?;
            if let Some((_, FileType::Dir)) = replaced {
                dp.meta.nlink = dp.meta.nlink.saturating_sub(1);
            }
            if moved_dir {
                dp.meta.nlink += 1;
            }
            dp.meta.mtime = now;
            dp.meta.ctime = now;
            if let Some((d, _)) = replaced
                && fs.tree.inodes.contains_key(&d)
            {
                fs.drop_link(d, now)?;
            }
            let moved = fs.inode_mut(sino)?;
            moved.meta.ctime = now;
            if let Some(d) = moved.dir_mut() {
                d.parent = dst.parent;
            }
            Ok(())
        })
    }
}
