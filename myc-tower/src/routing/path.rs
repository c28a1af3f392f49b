//! Request paths: percent-decoding that refuses what could change a path's segments.

use super::RouteError;

/// Longest accepted request path (bytes).
pub const MAX_PATH_LEN: usize = 8 * 1024;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `path`, refusing what could change its segment structure.
pub fn normalize(path: &str) -> Result<String, RouteError> {
    if path.len() > MAX_PATH_LEN {
        return Err(RouteError::UnsafePath("path too long"));
    }
    if !path.starts_with('/') {
        return Err(RouteError::UnsafePath("path must start with /"));
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) else {
                return Err(RouteError::UnsafePath("bad percent-encoding"));
            };
            let decoded = h * 16 + l;
            match decoded {
                b'/' | b'\\' => return Err(RouteError::UnsafePath("encoded slash")),
                0 => return Err(RouteError::UnsafePath("NUL")),
                _ => out.push(decoded),
            }
            i += 3;
        } else {
            if b == b'\\' || b == 0 {
                return Err(RouteError::UnsafePath("backslash or NUL"));
            }
            out.push(b);
            i += 1;
        }
    }
    let decoded =
        String::from_utf8(out).map_err(|_| RouteError::UnsafePath("path is not UTF-8"))?;
    if decoded.split('/').any(is_dot_segment) {
        return Err(RouteError::UnsafePath("dot segment"));
    }
    Ok(decoded)
}

/// Whether some server behind the gateway could take a decoded segment for `.` or `..`:
/// path parameters cut (`..;jsessionid=x`, Tomcat, Jetty and Spring drop them), surrounding
/// whitespace and control characters trimmed (`..%20`, `..%09`), Unicode compatibility forms
/// folded by NFKC (fullwidth `．．`, the one-dot leader `․`).
pub(crate) fn is_dot_segment(segment: &str) -> bool {
    use unicode_normalization::UnicodeNormalization as _;
    let dots = |s: &str| {
        let s = s.trim_matches(|c: char| c.is_whitespace() || c.is_control());
        s == "." || s == ".."
    };
    let segment = segment.split(';').next().unwrap_or_default();
    if segment.is_ascii() {
        return dots(segment);
    }
    dots(segment) || dots(&segment.nfkc().collect::<String>())
}
