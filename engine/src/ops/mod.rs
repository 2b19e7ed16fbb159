//! Filesystem operations, one concern per file, as `impl Fs` blocks.

mod create;
mod io;
mod link;
mod meta;
mod open;
mod readdir;
mod remove;
mod rename;

pub use io::SeekFrom;
pub use meta::SetTime;
pub use open::OpenOptions;
pub use readdir::Dirent;
