//! Number formatting shared by the CLI and the app.

use crate::analysis::distances::BASE_SYSTEM_DISTANCE;

/// Bytes as a short human-readable size (`1.5 MiB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// A distance as DevTools prints it (`-` for unreachable and system-only objects).
pub fn distance_text(distance: i32) -> String {
    if !(0..BASE_SYSTEM_DISTANCE).contains(&distance) { "-".to_string() } else { distance.to_string() }
}

/// `part` as a percentage of `total`.
pub fn percent(part: u64, total: u64) -> f64 {
    if total == 0 { 0.0 } else { part as f64 * 100.0 / total as f64 }
}

/// `1234567` as `1,234,567`.
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed count with thousands separators and its sign (`+1,325,545`, `-3`, `+0`).
pub fn signed_count(count: i64) -> String {
    let sign = if count < 0 { "-" } else { "+" };
    format!("{sign}{}", group_digits(count.unsigned_abs()))
}

/// A signed byte count as a short size (`+1.5 MiB`, `-200 B`).
pub fn signed_size(bytes: i64) -> String {
    let sign = if bytes < 0 { "-" } else { "+" };
    format!("{sign}{}", human_size(bytes.unsigned_abs()))
}

/// Parses a size such as `1048576`, `512KiB`, `10 MiB`, `1.5GB` or `200k`: `KiB`/`MiB`/`GiB`/
/// `TiB` and the bare `K`/`M`/`G`/`T` are powers of 1024, `kB`/`MB`/`GB`/`TB` powers of 1000.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a size (e.g. 10MiB, 512KiB, 1048576)"))?;
    let multiplier: f64 = match unit.trim() {
        "" | "B" | "b" => 1.0,
        "K" | "k" | "KiB" | "Ki" => 1024.0,
        "M" | "m" | "MiB" | "Mi" => 1024.0 * 1024.0,
        "G" | "g" | "GiB" | "Gi" => 1024.0 * 1024.0 * 1024.0,
        "T" | "t" | "TiB" | "Ti" => 1024.0f64.powi(4),
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        other => return Err(format!("unknown size unit {other:?} in {text:?} (use B, KiB, MiB, GiB, kB, MB, GB)")),
    };
    let bytes = value * multiplier;
    if !bytes.is_finite() || bytes > u64::MAX as f64 {
        return Err(format!("{text:?} is too large"));
    }
    Ok(bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::{parse_size, signed_count};

    #[test]
    fn signed_counts_group_their_digits() {
        assert_eq!(signed_count(1_325_545), "+1,325,545");
        assert_eq!(signed_count(-1_000), "-1,000");
        assert_eq!(signed_count(-999), "-999");
        assert_eq!(signed_count(0), "+0");
        assert_eq!(signed_count(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size("512KiB"), Ok(524_288));
        assert_eq!(parse_size("10 MiB"), Ok(10_485_760));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("200k"), Ok(204_800));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }
}
