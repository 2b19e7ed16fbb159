//! The resource-limit options of `strata run` (guest memory, fuel, wall-clock
//! time, host-call copies), named and meant as `wasmtime run`'s.

use std::time::Duration;

use clap::Args;
use strata_wasi::StrataCtxBuilder;

use crate::guest;

/// Limits on the guest's resources other than its files.
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Most bytes each linear memory of the guest may grow to: past it
    /// `memory.grow` returns -1 (malloc fails), as with `wasmtime run -W
    /// max-memory-size=BYTES`. The default is the whole wasm32 address space.
    #[arg(long, value_name = "BYTES", default_value_t = guest::DEFAULT_MAX_MEMORY)]
    max_memory: u64,
    /// Stop the guest after N units of fuel (most instructions take one), as
    /// `wasmtime run -W fuel=N`; strata then says so and exits 124. Off by
    /// default: metering slows the guest.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Stop the guest after DURATION of wall-clock time (`500ms`, `10s`, `2m`,
    /// `1h`, `1m30s`), as `wasmtime run -W timeout=DURATION`; strata then says
    /// so and exits 124. A guest blocked inside a host call (reading stdin,
    /// sleeping) is stopped when the call returns.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Most bytes one host call may copy between guest memory and the host;
    /// a call needing more fails with ENOMEM, as with `wasmtime run -S
    /// hostcall-fuel=N`.
    #[arg(long, value_name = "N", default_value_t = strata_wasi::Limits::default().copy_budget)]
    hostcall_fuel: u64,
}

impl LimitArgs {
    /// The limits wasmtime enforces.
    pub(crate) fn guest(&self) -> guest::Limits {
        guest::Limits {
            max_memory: self.max_memory,
            fuel: self.fuel,
            timeout: self.timeout,
            hostcall_fuel: self.hostcall_fuel,
        }
    }

    /// Sets the limits Strata's context enforces.
    pub(crate) fn apply(&self, b: &mut StrataCtxBuilder) {
        b.copy_budget(self.hostcall_fuel);
    }
}

/// Nanoseconds per unit of a `--timeout` part.
const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("h", 3_600 * 1_000_000_000),
    ("d", 86_400 * 1_000_000_000),
];

/// Parses a duration written as numbers with units, like `wasmtime run -W
/// timeout=`: `500ms`, `10s`, `2m`, `1h`, `1m30s` (spaces between parts
/// allowed). A bare number is refused: its unit would be a guess.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let units = "units: ns, us, ms, s, m, h, d; as in 10s or 1m30s";
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(format!("a duration is needed ({units})"));
    }
    let mut nanos: u128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u128 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{s}`: expected a number at `{rest}` ({units})"))?;
        rest = rest[digits..].trim_start();
        let len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..len];
        let per = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, per)| *per)
            .ok_or_else(|| match unit {
                "" if rest.is_empty() => format!("`{s}`: a unit is needed after {n} ({units})"),
                "" => format!("`{s}`: expected a unit at `{rest}` ({units})"),
                _ => format!("`{s}`: unknown unit `{unit}` ({units})"),
            })?;
        nanos = n
            .checked_mul(per)
            .and_then(|p| nanos.checked_add(p))
            .ok_or_else(|| format!("`{s}`: too long"))?;
        rest = rest[len..].trim_start();
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| format!("`{s}`: too long"))?;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_wasmtime_writes_them() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("10s"), Ok(ms(10_000)));
        assert_eq!(parse_duration("2m"), Ok(ms(120_000)));
        assert_eq!(parse_duration("1h"), Ok(ms(3_600_000)));
        assert_eq!(parse_duration("1m30s"), Ok(ms(90_000)));
        assert_eq!(parse_duration("1m 30s 5ms"), Ok(ms(90_005)));
        assert_eq!(parse_duration(" 2 s "), Ok(ms(2_000)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_say_why() {
        for (bad, why) in [
            ("10", "a unit is needed"),
            ("", "a duration is needed"),
            ("s", "expected a number"),
            ("10 parsecs", "unknown unit `parsecs`"),
            ("1.5s", "expected a unit at `.5s`"),
            ("-1s", "expected a number"),
            ("999999999999999999999999999d", "too long"),
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }
}
