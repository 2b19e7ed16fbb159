//! Tar header details both directions share: ustar headers with PAX records, and PAX time values.

use std::io::{self, Read, Write};

use tar::{Builder, EntryType, Header};

/// Longest name or link target the ustar fields hold; longer ones go in PAX.
const USTAR_NAME: usize = 100;
const NS: u64 = 1_000_000_000;

/// One entry to write: everything the header says.
#[derive(Debug)]
pub(crate) struct EntryHead<'a> {
    pub(crate) kind: EntryType,
    pub(crate) path: &'a str,
    pub(crate) link: Option<&'a str>,
    pub(crate) perm: u32,
    pub(crate) size: u64,
    /// Nanoseconds since the Unix epoch.
    pub(crate) mtime: u64,
    pub(crate) atime: u64,
}

/// Appends one PAX record (`"LEN KEY=VALUE\n"`, LEN counting itself).
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// One PAX record: key and value bytes.
pub(crate) type PaxRecord<'a> = (&'a [u8], &'a [u8]);

/// Splits PAX extended-header data into its `(key, value)` records, each
/// `"LEN KEY=VALUE\n"` with LEN counting the whole record. Records are cut by
/// their length, not at newlines, so values may hold any byte.
pub(crate) fn parse_pax(mut data: &[u8]) -> Result<Vec<PaxRecord<'_>>, &'static str> {
    const BAD: &str = "malformed PAX record";
    let mut out = Vec::new();
    while !data.is_empty() {
        let sp = data.iter().take(20).position(|&b| b == b' ').ok_or(BAD)?;
        let len: usize = std::str::from_utf8(&data[..sp])
            .ok()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse().ok())
            .ok_or(BAD)?;
        if len <= sp + 1 || len > data.len() || data[len - 1] != b'\n' {
            return Err(BAD);
        }
        let rec = &data[sp + 1..len - 1];
        let eq = rec.iter().position(|&b| b == b'=').ok_or(BAD)?;
        out.push((&rec[..eq], &rec[eq + 1..]));
        data = &data[len..];
    }
    Ok(out)
}

/// A PAX time value: seconds, and a fraction only when there is one.
pub(crate) fn format_time(ns: u64) -> String {
    let (s, f) = (ns / NS, ns % NS);
    if f == 0 {
        s.to_string()
    } else {
        let frac = format!("{f:09}");
        format!("{s}.{}", frac.trim_end_matches('0'))
    }
}

/// Parses a PAX time value into nanoseconds; negative, malformed or
/// out-of-range times are `None`.
pub(crate) fn parse_time(v: &[u8]) -> Option<u64> {
    let v = std::str::from_utf8(v).ok()?;
    let (s, f) = v.split_once('.').unwrap_or((v, ""));
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = s.parse().ok()?;
    // Digits past nanoseconds are dropped (truncation, as other readers do).
    let mut frac = 0u64;
    for i in 0..9 {
        let d = f.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
        frac = frac * 10 + d;
    }
    secs.checked_mul(NS)?.checked_add(frac)
}

/// Writes `name` into a fixed header field, NUL padded (truncated if longer:
/// a PAX record then carries the whole value).
fn put_field(field: &mut [u8], name: &str) {
    field.fill(0);
    let b = name.as_bytes();
    let n = b.len().min(field.len());
    field[..n].copy_from_slice(&b[..n]);
}

/// Appends one entry (with a PAX header first when needed) and its data.
pub(crate) fn append<W: Write>(
    b: &mut Builder<W>,
    head: &EntryHead<'_>,
    data: impl Read,
) -> io::Result<()> {
    let mut pax = Vec::new();
    if head.path.len() > USTAR_NAME {
        pax_record(&mut pax, "path", head.path.as_bytes());
    }
    if let Some(l) = head.link
        && l.len() > USTAR_NAME
    {
        pax_record(&mut pax, "linkpath", l.as_bytes());
    }
    if !head.mtime.is_multiple_of(NS) {
        pax_record(&mut pax, "mtime", format_time(head.mtime).as_bytes());
    }
    if head.atime != head.mtime {
        pax_record(&mut pax, "atime", format_time(head.atime).as_bytes());
    }
    if !pax.is_empty() {
        // The extended header's own name is fixed, so output stays deterministic.
        let mut h = base_header(EntryType::XHeader, "PaxHeader", 0o644, 0);
        h.set_size(pax.len() as u64);
        h.set_cksum();
        b.append(&h, &pax[..])?;
    }
    let mut h = base_header(head.kind, head.path, head.perm, head.mtime / NS);
    if let Some(l) = head.link {
        put_field(&mut h.as_old_mut().linkname, l);
    }
    h.set_size(head.size);
    h.set_cksum();
    b.append(&h, data)
}

fn base_header(kind: EntryType, path: &str, perm: u32, mtime_secs: u64) -> Header {
    let mut h = Header::new_ustar();
    h.set_entry_type(kind);
    put_field(&mut h.as_old_mut().name, path);
    h.set_mode(perm & 0o7777);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime_secs);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        for n in [0usize, 1, 5, 89, 90, 95, 96, 990, 995, 996, 5000] {
            let mut out = Vec::new();
            let v = vec![b'x'; n];
            pax_record(&mut out, "path", &v);
            let (len, _) = std::str::from_utf8(&out).unwrap().split_once(' ').unwrap();
            assert_eq!(
                len.parse::<usize>().unwrap(),
                out.len(),
                "value of {n} bytes"
            );
        }
    }

    #[test]
    fn pax_records_are_cut_by_length() {
        let mut data = Vec::new();
        pax_record(&mut data, "path", b"a\nb=c");
        pax_record(&mut data, "mtime", b"1.5");
        let recs = parse_pax(&data).unwrap();
        assert_eq!(
            recs,
            [(&b"path"[..], &b"a\nb=c"[..]), (&b"mtime"[..], &b"1.5"[..])]
        );
        for bad in [
            &b"5 a=b\n"[..],
            b"x a=b\n",
            b"6 ab\n\n",
            b"99 a=b\n",
            b"7 a=bc",
            b" 1",
        ] {
            assert!(
                parse_pax(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // Every truncation of valid data is an error, never a panic.
        for n in 1..data.len() {
            let _ = parse_pax(&data[..n]);
        }
    }

    #[test]
    fn times_round_trip() {
        for ns in [
            0u64,
            1,
            999_999_999,
            1_000_000_000,
            1_700_000_000_123_400_000,
        ] {
            assert_eq!(parse_time(format_time(ns).as_bytes()), Some(ns));
        }
        assert_eq!(parse_time(b"-1"), None);
        assert_eq!(parse_time(b"1.5x"), None);
        assert_eq!(parse_time(b""), None);
        assert_eq!(parse_time(b"99999999999999999999"), None);
        assert_eq!(parse_time(b"1.0000000019"), Some(NS + 1));
    }
}
