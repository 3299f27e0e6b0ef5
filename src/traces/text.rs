//! Python's text forms: `tracemalloc._format_size`, `str(Frame)`, `str(Statistic)` and
//! `str(StatisticDiff)`, character for character.

/// `tracemalloc._format_size(size, sign)`: `"9 B"`, `"12.3 KiB"`, `"+1024 KiB"`...
pub fn format_size(size: f64, sign: bool) -> String {
    let mut size = size;
    for unit in ["B", "KiB", "MiB", "GiB", "TiB"] {
        if size.abs() < 100.0 && unit != "B" {
            return if sign { format!("{size:+.1} {unit}") } else { format!("{size:.1} {unit}") };
        }
        if size.abs() < 10.0 * 1024.0 || unit == "TiB" {
            return if sign { format!("{size:+.0} {unit}") } else { format!("{size:.0} {unit}") };
        }
        size /= 1024.0;
    }
    unreachable!("the TiB unit always returns")
}

/// `str(Frame)`: `"file:line"`.
pub fn frame_text(file: &str, line: i64) -> String {
    format!("{file}:{line}")
}

/// `str(Statistic)`: `"<frame>: size=..., count=N, average=..."`.
pub fn statistic_text(frame: &str, size: u64, count: u64) -> String {
    let mut text = format!("{frame}: size={}, count={count}", format_size(size as f64, false));
    if count > 0 {
        text.push_str(&format!(", average={}", format_size(size as f64 / count as f64, false)));
    }
    text
}

/// `str(StatisticDiff)`: `"<frame>: size=... (+...), count=N (+M), average=..."`.
pub fn statistic_diff_text(frame: &str, size: u64, size_diff: i128, count: u64, count_diff: i128) -> String {
    let mut text = format!(
        "{frame}: size={} ({}), count={count} ({count_diff:+})",
        format_size(size as f64, false),
        format_size(size_diff as f64, true)
    );
    if count > 0 {
        text.push_str(&format!(", average={}", format_size(size as f64 / count as f64, false)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::format_size;

    #[test]
    fn sizes_like_python() {
        // Values checked with CPython 3.11's tracemalloc._format_size.
        assert_eq!(format_size(0.0, false), "0 B");
        assert_eq!(format_size(0.0, true), "+0 B");
        assert_eq!(format_size(10239.0, false), "10239 B");
        assert_eq!(format_size(10240.0, false), "10.0 KiB");
        assert_eq!(format_size(-10240.0, true), "-10.0 KiB");
        assert_eq!(format_size(102400.0, false), "100 KiB");
        assert_eq!(format_size(2.5, false), "2 B");
        assert_eq!(format_size(3.5, false), "4 B");
        assert_eq!(format_size(5.0 * 1024.0f64.powi(5), false), "5120 TiB");
        assert_eq!(format_size(652.3, false), "652 B");
    }
}
