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
