//! `snapshot log`: the runs of a `--state` chain (or of any chain of runs started from each other's results), newest first.

use anyhow::{Context, Result};
use strata_snapshots::{ChangeKind, Error as SnapError, diff, read_manifest};

use crate::mounts::short;
use crate::run::TIME_LABEL;
use crate::store::{Opened, label};

/// Prints one line per run, from the run that saved `spec` back through
/// the runs each started from: result hash, time (UTC), exit status,
/// module and arguments, and how many paths it added, deleted and modified.
/// A run's result is found through its starting tree's `strata.loaded-from`
/// label; a result removed by `gc` ends the log with a note.
pub(super) fn run(opened: &Opened, spec: &str) -> Result<()> {
    let mut h = opened.resolve(spec)?;
    let mut out = String::new();
    let mut runs = 0;
    loop {
        let m = match read_manifest(&opened.store, &h) {
            Ok(m) => m,
            Err(SnapError::Missing { .. }) if runs > 0 => {
                out.push_str(&format!(
                    "{}  (earlier runs: their results were collected by gc)\n",
                    short(&h)
                ));
                break;
            }
            Err(e) => return Err(e).with_context(|| format!("reading snapshot {}", short(&h))),
        };
        let Some(module) = label(&m, "strata.module") else {
            if runs == 0 {
                anyhow::bail!("`{spec}` was not saved by a run (it has no strata.module label)");
            }
            break;
        };
        runs += 1;
        let (mut added, mut deleted, mut modified) = (0, 0, 0);
        if let Some(p) = &m.parent {
            for c in diff(&opened.store, p, &h)
                .with_context(|| format!("comparing {} with its parent", short(&h)))?
            {
                match c.kind {
                    ChangeKind::Added => added += 1,
                    ChangeKind::Removed => deleted += 1,
                    ChangeKind::Modified { .. } if c.path == "/" => {}
                    ChangeKind::Modified { .. } => modified += 1,
                }
            }
        }
        let time = label(&m, TIME_LABEL)
            .and_then(|t| t.parse::<i64>().ok())
            .map_or_else(|| "-".repeat(20), utc);
        let exit = label(&m, "strata.exit").unwrap_or("?");
        let args = label(&m, "strata.args").unwrap_or("");
        let sep = if args.is_empty() { "" } else { " " };
        out.push_str(&format!(
            "{}  {time}  exit {exit:<4} +{added} -{deleted} ~{modified}  {module}{sep}{args}\n",
            short(&h)
        ));
        // The run started from the tree of the previous run's result.
        let from = match &m.parent {
            Some(p) => read_manifest(&opened.store, p)
                .ok()
                .and_then(|pm| label(&pm, "strata.loaded-from").map(str::to_owned)),
            None => None,
        };
        match from.and_then(|f| f.parse().ok()) {
            Some(prev) => h = prev,
            None => break,
        }
    }
    print!("{out}");
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `secs` since 1970 (UTC), by the proleptic
/// Gregorian calendar (days to civil date: H. Hinnant's algorithm).
fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_798_761_599), "2026-12-31T23:59:59Z");
    }
}
