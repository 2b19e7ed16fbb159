//! `wasi:filesystem/types`: descriptors and directory listings over the engine.
//!
//! Each method answers as wasmtime-wasi 48's p2 host does on a real directory,
//! in the same order of checks: a wrong-kind descriptor first (`bad-descriptor`
//! for file operations on a directory, `not-directory` for path operations on a
//! file), then the preopen's permission (`not-permitted` for any change under a
//! read-only mount), then the engine's answer.

use strata_engine::{FileType, Handle, OpenOptions, SetTime, Stat};
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};

use super::bindings::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    Filesize, MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use super::bindings::{preopens, wasi::clocks::wall_clock::Datetime};
use super::error::{FsError, FsResult};
use super::fs::SharedFs;
use super::stream::{CHUNK, FileReader, FileWriter, WriteAt};
use super::{FsView, Mount};
use crate::cap_rules;

/// An open file or directory of a mount: the guest's `descriptor` resource.
///
/// Closing (dropping) it closes its engine handle; streams made from it keep
/// their own.
#[derive(Debug)]
pub struct Descriptor {
    fs: SharedFs,
    /// Index of the mount, for `is-same-object` and the metadata hash.
    mount: usize,
    handle: Option<Handle>,
    kind: FileType,
    /// The access it was opened with (wasmtime-wasi's `OpenMode`).
    read: bool,
    write: bool,
    /// The mount refuses every change (wasmtime-wasi's preopen permissions).
    read_only: bool,
}

impl Descriptor {
    fn new(m: &Mount, mount: usize, handle: Handle, read: bool, write: bool) -> Self {
        let kind = handle.borrow().kind();
        Self {
            fs: m.fs.clone(),
            mount,
            handle: Some(handle),
            kind,
            read,
            write,
            read_only: m.read_only,
        }
    }

    fn handle(&self) -> FsResult<&Handle> {
        self.handle.as_ref().ok_or(ErrorCode::BadDescriptor.into())
    }

    /// For operations on file contents: `bad-descriptor` on a directory.
    fn file(&self) -> FsResult<&Handle> {
        if self.kind == FileType::Dir {
            return Err(ErrorCode::BadDescriptor.into());
        }
        self.handle()
    }

    /// For path operations: `not-directory` on a file.
    fn dir(&self) -> FsResult<&Handle> {
        if self.kind != FileType::Dir {
            return Err(ErrorCode::NotDirectory.into());
        }
        self.handle()
    }

    fn writable(&self) -> FsResult<()> {
        if self.read_only {
            return Err(ErrorCode::NotPermitted.into());
        }
        Ok(())
    }
}

impl Drop for Descriptor {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.fs.lock().close(h);
        }
    }
}

/// A directory listing taken when `read-directory` is called.
#[derive(Debug)]
pub struct DirEntries(std::vec::IntoIter<DirectoryEntry>);

/// The preopens, in mount order; each call hands out fresh descriptors, as
/// wasmtime-wasi's does.
pub(crate) fn preopens(
    view: &mut FsView<'_>,
) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
    let mut out = Vec::with_capacity(view.mounts.len());
    for (i, m) in view.mounts.iter().enumerate() {
        let root = m.fs.lock().open_root();
        // A root that cannot be opened (the engine's handle limit) is left out
        // rather than failing the guest's start.
        let Ok(root) = root else { continue };
        let d = Descriptor::new(m, i, root, true, !m.read_only);
        out.push((view.table.push(d)?, m.guest.clone()));
    }
    Ok(out)
}

impl preopens::Host for FsView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        preopens(self)
    }
}

impl types::Host for FsView<'_> {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<ErrorCode> {
        err.into_code()
    }

    fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        Ok(err.downcast_ref::<ErrorCode>().copied())
    }
}

fn get<'t>(table: &'t ResourceTable, fd: &Resource<Descriptor>) -> FsResult<&'t Descriptor> {
    Ok(table.get(fd)?)
}

fn descriptor_type(kind: FileType) -> DescriptorType {
    match kind {
        FileType::File => DescriptorType::RegularFile,
        FileType::Dir => DescriptorType::Directory,
        FileType::Symlink => DescriptorType::SymbolicLink,
    }
}

fn datetime(ns: u64) -> Datetime {
    Datetime {
        seconds: ns / 1_000_000_000,
        nanoseconds: (ns % 1_000_000_000) as u32,
    }
}

fn descriptor_stat(s: &Stat) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(s.kind),
        link_count: s.nlink,
        size: s.size,
        data_access_timestamp: Some(datetime(s.atime)),
        data_modification_timestamp: Some(datetime(s.mtime)),
        status_change_timestamp: Some(datetime(s.ctime)),
    }
}

/// A new time as the engine takes it; `overflow` past the engine's range of
/// nanoseconds since 1970, as wasmtime-wasi answers past `SystemTime`'s.
fn set_time(t: NewTimestamp) -> FsResult<SetTime> {
    Ok(match t {
        NewTimestamp::NoChange => SetTime::Omit,
        NewTimestamp::Now => SetTime::Now,
        NewTimestamp::Timestamp(d) => {
            let ns = d
                .seconds
                .checked_mul(1_000_000_000)
                .and_then(|s| s.checked_add(u64::from(d.nanoseconds)))
                .ok_or(ErrorCode::Overflow)?;
            SetTime::At(ns)
        }
    })
}

/// A stable per-object value: the mount and inode number, mixed (splitmix64)
/// so that equal objects hash equal and different ones almost never do.
fn metadata_hash(mount: usize, ino: u64) -> MetadataHashValue {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let lower = mix(ino ^ mix(mount as u64));
    MetadataHashValue {
        lower,
        upper: mix(lower),
    }
}

impl types::HostDescriptor for FsView<'_> {
    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> FsResult<Resource<DynInputStream>> {
        let d = get(self.table, &fd)?;
        // A directory is is-directory here, not bad-descriptor (wasmtime-wasi).
        if d.kind == FileType::Dir {
            return Err(ErrorCode::IsDirectory.into());
        }
        let reader: DynInputStream =
            Box::new(FileReader::new(d.fs.clone(), d.handle()?.clone(), offset));
        Ok(self.table.push(reader)?)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: Filesize,
    ) -> FsResult<Resource<DynOutputStream>> {
        let d = get(self.table, &fd)?;
        let h = d.file()?.clone();
        d.writable()?;
        let writer: DynOutputStream =
            Box::new(FileWriter::new(d.fs.clone(), h, WriteAt::Offset(offset)));
        Ok(self.table.push(writer)?)
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DynOutputStream>> {
        let d = get(self.table, &fd)?;
        let h = d.file()?.clone();
        d.writable()?;
        let writer: DynOutputStream = Box::new(FileWriter::new(d.fs.clone(), h, WriteAt::End));
        Ok(self.table.push(writer)?)
    }

    fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        _offset: Filesize,
        _len: Filesize,
        _advice: Advice,
    ) -> FsResult<()> {
        // A hint; the upper layer is memory and needs none.
        get(self.table, &fd)?.file()?;
        Ok(())
    }

    fn sync_data(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        self.sync(fd)
    }

    fn sync(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        d.fs.lock().sync(d.handle()?)?;
        Ok(())
    }

    fn get_flags(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorFlags> {
        let d = get(self.table, &fd)?;
        let mut flags = DescriptorFlags::empty();
        if d.read {
            flags |= DescriptorFlags::READ;
        }
        if d.write {
            flags |= match d.kind {
                FileType::Dir => DescriptorFlags::MUTATE_DIRECTORY,
                _ => DescriptorFlags::WRITE,
            };
        }
        Ok(flags)
    }

    fn get_type(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorType> {
        Ok(descriptor_type(get(self.table, &fd)?.kind))
    }

    fn set_size(&mut self, fd: Resource<Descriptor>, size: Filesize) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        let h = d.file()?;
        d.writable()?;
        d.fs.lock().set_len(h, size)?;
        Ok(())
    }

    fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        let (a, m) = (set_time(atime)?, set_time(mtime)?);
        d.writable()?;
        d.fs.lock().set_times(d.handle()?, a, m)?;
        Ok(())
    }

    fn read(
        &mut self,
        fd: Resource<Descriptor>,
        len: Filesize,
        offset: Filesize,
    ) -> FsResult<(Vec<u8>, bool)> {
        let d = get(self.table, &fd)?;
        let h = d.file()?;
        let mut buf = vec![0; usize::try_from(len).unwrap_or(usize::MAX).min(CHUNK)];
        let n = d.fs.lock().pread(h, &mut buf, offset)?;
        buf.truncate(n);
        Ok((buf, n == 0))
    }

    fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buf: Vec<u8>,
        offset: Filesize,
    ) -> FsResult<Filesize> {
        let d = get(self.table, &fd)?;
        let h = d.file()?;
        d.writable()?;
        let n = d.fs.lock().pwrite(h, &[&buf], offset)?;
        Ok(n as Filesize)
    }

    fn read_directory(&mut self, fd: Resource<Descriptor>) -> FsResult<Resource<DirEntries>> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        let mut entries = Vec::new();
        d.fs.lock().readdir(h, 0, &mut |e| {
            if e.name != "." && e.name != ".." {
                entries.push(DirectoryEntry {
                    type_: descriptor_type(e.kind),
                    name: e.name.to_owned(),
                });
            }
            true
        })?;
        Ok(self.table.push(DirEntries(entries.into_iter()))?)
    }

    fn create_directory_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        d.writable()?;
        d.fs.lock().mkdir(h, &path, 0o755)?;
        Ok(())
    }

    fn stat(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorStat> {
        let d = get(self.table, &fd)?;
        let s = d.fs.lock().stat(d.handle()?)?;
        Ok(descriptor_stat(&s))
    }

    fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
    ) -> FsResult<DescriptorStat> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        let follow = flags.contains(PathFlags::SYMLINK_FOLLOW);
        let s = d.fs.lock().stat_at(h, &path, follow)?;
        Ok(descriptor_stat(&s))
    }

    fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        let (a, m) = (set_time(atime)?, set_time(mtime)?);
        d.writable()?;
        let follow = flags.contains(PathFlags::SYMLINK_FOLLOW);
        d.fs.lock().set_times_at(h, &path, follow, a, m)?;
        Ok(())
    }

    fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_flags: PathFlags,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let follow = old_flags.contains(PathFlags::SYMLINK_FOLLOW);
        let (from, to) = two_dirs(self.table, &fd, &new_fd, follow)?;
        let (fh, th) = (from.dir()?, to.dir()?);
        from.fs.lock().link(fh, &old_path, th, &new_path, false)?;
        Ok(())
    }

    fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        oflags: OpenFlags,
        flags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let d = get(self.table, &fd)?;
        let base = d.dir()?;
        // wasmtime-wasi 48's `open_at`: CREATE and TRUNCATE imply write, and a
        // descriptor not opened for writing is opened for reading.
        let create = oflags.contains(OpenFlags::CREATE);
        let truncate = oflags.contains(OpenFlags::TRUNCATE);
        let write = create || truncate || flags.contains(DescriptorFlags::WRITE);
        let read = flags.contains(DescriptorFlags::READ) || !flags.contains(DescriptorFlags::WRITE);
        if flags.intersects(
            DescriptorFlags::FILE_INTEGRITY_SYNC
                | DescriptorFlags::DATA_INTEGRITY_SYNC
                | DescriptorFlags::REQUESTED_WRITE_SYNC,
        ) {
            return Err(ErrorCode::Unsupported.into());
        }
        let directory = oflags.contains(OpenFlags::DIRECTORY);
        if directory && (create || truncate || oflags.contains(OpenFlags::EXCLUSIVE)) {
            return Err(ErrorCode::Invalid.into());
        }
        if d.read_only && write {
            return Err(ErrorCode::NotPermitted.into());
        }
        let opts = OpenOptions {
            read,
            write,
            create,
            exclusive: oflags.contains(OpenFlags::EXCLUSIVE),
            truncate,
            directory,
            nofollow: !path_flags.contains(PathFlags::SYMLINK_FOLLOW),
            perm: 0o644,
            ..OpenOptions::default()
        };
        let handle = d.fs.lock().open(base, &path, &opts)?;
        let kind = handle.borrow().kind();
        let opened = Descriptor {
            fs: d.fs.clone(),
            mount: d.mount,
            kind,
            handle: Some(handle),
            read,
            write,
            read_only: d.read_only,
        };
        Ok(self.table.push(opened)?)
    }

    fn readlink_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<String> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        Ok(cap_rules::readlink(&d.fs.lock(), h, &path)?)
    }

    fn remove_directory_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        d.writable()?;
        cap_rules::rmdir(&mut d.fs.lock(), h, &path)?;
        Ok(())
    }

    fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let (from, to) = two_dirs(self.table, &fd, &new_fd, false)?;
        let (fh, th) = (from.dir()?, to.dir()?);
        from.fs.lock().rename(fh, &old_path, th, &new_path)?;
        Ok(())
    }

    fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        target: String,
        path: String,
    ) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        d.writable()?;
        cap_rules::symlink(&mut d.fs.lock(), &target, h, &path)?;
        Ok(())
    }

    fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        d.writable()?;
        d.fs.lock().unlink(h, &path)?;
        Ok(())
    }

    fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        let (a, b) = (self.table.get(&a)?, self.table.get(&b)?);
        let ino = |d: &Descriptor| d.handle.as_ref().map(|h| h.borrow().ino());
        Ok(a.mount == b.mount && ino(a).is_some() && ino(a) == ino(b))
    }

    fn metadata_hash(&mut self, fd: Resource<Descriptor>) -> FsResult<MetadataHashValue> {
        let d = get(self.table, &fd)?;
        let s = d.fs.lock().stat(d.handle()?)?;
        Ok(metadata_hash(d.mount, s.ino.0))
    }

    fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
    ) -> FsResult<MetadataHashValue> {
        let d = get(self.table, &fd)?;
        let h = d.dir()?;
        let follow = flags.contains(PathFlags::SYMLINK_FOLLOW);
        let s = d.fs.lock().stat_at(h, &path, follow)?;
        Ok(metadata_hash(d.mount, s.ino.0))
    }

    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.table.delete(fd)?;
        Ok(())
    }
}

/// The two directories of a link or rename, with wasmtime-wasi 48's checks in
/// its order: either side read-only is `not-permitted`, then a link that
/// follows symlinks (`follow`) is `invalid`; only then are two mounts told
/// apart (`cross-device`, where wasmtime-wasi would ask the host).
fn two_dirs<'t>(
    table: &'t ResourceTable,
    a: &Resource<Descriptor>,
    b: &Resource<Descriptor>,
    follow: bool,
) -> FsResult<(&'t Descriptor, &'t Descriptor)> {
    let (from, to) = (get(table, a)?, get(table, b)?);
    from.dir()?;
    to.dir()?;
    from.writable()?;
    to.writable()?;
    if follow {
        return Err(ErrorCode::Invalid.into());
    }
    if !SharedFs::same(&from.fs, &to.fs) {
        return Err(ErrorCode::CrossDevice.into());
    }
    Ok((from, to))
}

impl types::HostDirectoryEntryStream for FsView<'_> {
    fn read_directory_entry(
        &mut self,
        stream: Resource<DirEntries>,
    ) -> FsResult<Option<DirectoryEntry>> {
        Ok(self.table.get_mut(&stream)?.0.next())
    }

    fn drop(&mut self, stream: Resource<DirEntries>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}
