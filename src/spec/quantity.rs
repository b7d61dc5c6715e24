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
