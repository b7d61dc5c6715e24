//! Kubernetes resource quantities (`500m`, `1.5`, `512Mi`, `1e3`), checked so the API server
//! never sees one it would reject.

const SUFFIXES: &[&str] = &[
    "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
];

fn split_number(s: &str) -> Option<(&str, &str)> {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(s.len(), |(i, _)| i);
    let (num, suffix) = s.split_at(end);
    let digits = num.chars().filter(char::is_ascii_digit).count();
    (digits > 0 && num.matches('.').count() <= 1).then_some((num, suffix))
}

fn is_quantity(s: &str) -> bool {
    let Some((_, suffix)) = split_number(s) else {
        return false;
    };
    if suffix.is_empty() || SUFFIXES.contains(&suffix) {
        return true;
    }
    // Decimal exponent: 1e3, 2E6.
    let mut chars = suffix.chars();
    matches!(chars.next(), Some('e' | 'E')) && {
        let rest = chars.as_str();
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
    }
}

/// A quantity's value (`500m` = 0.5, `1Gi` = 1073741824), to compare two amounts written
/// differently; None for anything that is not a quantity.
/// Whether quantity `a` is above `b` (false when either is not a quantity).
pub fn exceeds(a: &str, b: &str) -> bool {
    value(a).zip(value(b)).is_some_and(|(a, b)| a > b)
}

pub fn value(s: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
    ];
    let (num, mult) = SUFFIXES
        .iter()
        .find_map(|(suf, m)| s.strip_suffix(suf).map(|n| (n, *m)))
        .unwrap_or((s, 1.0));
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    num.parse::<f64>().ok().map(|n| n * mult)
}

pub fn is_cpu(s: &str) -> bool {
    is_quantity(s)
}

/// Memory and storage: the same grammar, but a bare `m` (milli-bytes) is a classic typo for
/// `Mi` that Kubernetes accepts and then schedules nothing with, so it is refused here.
pub fn is_memory(s: &str) -> bool {
    is_quantity(s) && !s.ends_with('m')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for ok in ["100m", "1", "0.5", "2.5", "1e3"] {
            assert!(is_cpu(ok), "{ok}");
        }
        for bad in ["", "m", "1.2.3", "10 Gi", "-1", "abc", "1x"] {
            assert!(!is_cpu(bad), "{bad}");
        }
        for ok in ["128Mi", "10Gi", "1G", "512M", "1024"] {
            assert!(is_memory(ok), "{ok}");
        }
        assert!(!is_memory("512m"));
    }
}
