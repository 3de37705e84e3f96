//! Text made safe for a terminal: [`printable`] drops every control character (C0, DEL, C1) from
//! data (titles, speakers, messages) so nothing a show contains is interpreted by the terminal.
//! Pure, so the timetable printer here and the app's terminals share it.

use std::borrow::Cow;

/// `text` without control characters: C0 (including ESC, CR, LF, TAB), DEL and C1. A newline or
/// tab becomes a space so words stay apart; everything else that is a control is dropped.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                '\n' | '\t' | '\r' => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// `c` without its accent, for the Latin letters of the seeds' languages (French, Spanish,
/// German, Portuguese): `é` → `e`, `ñ` → `n`, `ç` → `c`. Other characters are returned as they
/// are. Lower case only: callers lower-case first.
pub fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        c => c,
    }
}
