//! Control characters in user text: which folio refuses, their names for
//! messages, and how they are shown safely on a terminal. A leaf module:
//! both the diagnostics and the input limits build on it.

/// Whether a character is a control character folio refuses in text: C0
/// and C1 controls and DEL, except tab and line breaks.
pub fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The name of a control character, for messages.
pub fn control_name(c: char) -> String {
    let name = match c {
        '\0' => "NUL",
        '\u{7}' => "BEL",
        '\u{8}' => "backspace",
        '\u{b}' => "vertical tab",
        '\u{c}' => "form feed",
        '\u{1b}' => "ESC",
        '\u{7f}' => "DEL",
        _ => "",
    };
    if name.is_empty() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} {name}", c as u32)
    }
}

/// Shows control characters as `\u{1b}` so that text from files can be
/// printed to a terminal without running escape sequences.
pub fn escape_control(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Replaces control characters (except tab and line feed) by printable
/// characters of the same UTF-8 length, so that byte spans stay valid:
/// for showing a file's lines on a terminal.
pub fn neutralise_control(s: &str) -> String {
    if !s.chars().any(is_refused_control) && !s.contains('\r') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let keep =
            !c.is_control() || c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n'));
        if keep {
            out.push(c);
        } else if c.len_utf8() == 1 {
            // C0 and DEL are one byte, C1 two: spans stay valid.
            out.push('?');
        } else {
            out.push('¿');
        }
    }
    out
}
