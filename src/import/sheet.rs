//! A sheet of a workbook (`.xlsx`, `.ods`; `.xls` and `.xlsb` too), read with `calamine` and
//! handed to [`super::table`] as text, so a sheet follows the CSV's rules. What is turned into
//! text here: numbers (`8`, `7.5`), Excel serial times and durations (a fraction of a day, in a
//! length column `0:08:00`, in a time column `14:00:00`; a date and time keeps its time of day
//! there), OpenDocument times (`PT00H08M00S`) and dates, formulas by their computed value. A cell
//! holding an error (`#REF!`) is refused at its place. Rows are the sheet's own row numbers, and
//! each problem names its cell, `Programme!C4`. Reading only; this module never writes a file.

use std::path::Path;

use calamine::{Data, Reader};

use super::table::{Header, Role, Row, above_header, header_row, segments};
use super::{Parsed, Problem};

/// Why a workbook gives no segments.
#[derive(Debug)]
pub(crate) enum SheetError {
    /// Problems at rows of the sheet.
    Rows(Vec<Problem>),
    /// The workbook or the sheet cannot be read.
    Input(String),
}

/// Reads the sheet `choice` (a name, or a 1-based number) of the workbook at `path`, or its first
/// sheet. Warnings come back with the segments.
pub(crate) fn parse(
    path: &Path,
    choice: Option<&str>,
) -> Result<(Parsed, Vec<Problem>), SheetError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if let Some("xlsx" | "xlsm" | "xlsb" | "ods") = ext.as_deref() {
        check_unzipped(path)?;
    }
    if ext.as_deref() == Some("ods") {
        check_ods_extent(path)?;
    }
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| SheetError::Input(format!("cannot read it as a workbook: {e}")))?;
    let names = book.sheet_names();
    let listed = || {
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let name = match choice {
        None => names.first().cloned(),
        Some(choice) => {
            let by_number = choice
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| names.get(i));
            let by_name = || {
                names
                    .iter()
                    .find(|n| n.trim().to_lowercase() == choice.trim().to_lowercase())
            };
            match by_number.or_else(by_name) {
                Some(name) => Some(name.clone()),
                None => {
                    return Err(SheetError::Input(format!(
                        "--sheet {choice:?}: no such sheet; the sheets are {}",
                        listed()
                    )));
                }
            }
        }
    };
    let Some(name) = name else {
        return Err(SheetError::Input("the workbook has no sheet".into()));
    };
    check_extent(&mut book, &name)?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| SheetError::Input(format!("cannot read sheet {name:?}: {e}")))?;
    let mut warnings = Vec::new();
    if choice.is_none() && names.len() > 1 {
        warnings.push(Problem {
            line: 0,
            message: format!(
                "read the first sheet, {name:?}, of {} ({}): choose another with --sheet",
                names.len(),
                listed()
            ),
        });
    }
    let Some((top, left)) = range.start() else {
        return Ok((Parsed::default(), warnings));
    };
    let (top, left) = (top as usize, left as usize);
    let reference = sheet_reference(&name);
    let locate = |line: usize, i: usize| format!("{reference}!{}{line}: ", letters(left + i));

    // The header is looked for among the first rows as text; the rows under it are read by role.
    let heads: Vec<Row> = range
        .rows()
        .take(10)
        .enumerate()
        .map(|(r, cells)| Row {
            line: top + r + 1,
            cells: cells.iter().map(text_of).collect(),
        })
        .collect();
    let Some(at) = header_row(&heads) else {
        return Ok((Parsed::default(), warnings));
    };
    let line = heads[at].line;
    let (header, found) =
        Header::read(&heads[at].cells, line, &locate).map_err(SheetError::Rows)?;
    warnings.extend(found);
    warnings.extend(above_header(&heads[..at], line));
    let rows = range
        .rows()
        .enumerate()
        .skip(at + 1)
        .map(|(r, cells)| (top + r + 1, cells));

    let mut problems = Vec::new();
    let mut table = Vec::new();
    for (line, cells) in rows {
        let mut row = Row {
            line,
            cells: Vec::with_capacity(cells.len()),
        };
        for (i, cell) in cells.iter().enumerate() {
            match cell_text(cell, header.role(i)) {
                Ok(text) => row.cells.push(text),
                Err(why) => {
                    problems.push(Problem {
                        line,
                        message: format!("{}{why}", locate(line, i)),
                    });
                    row.cells.push(String::new());
                }
            }
        }
        table.push(row);
    }
    let parsed =
        segments(&header, table.into_iter(), &locate, problems).map_err(SheetError::Rows)?;
    Ok((parsed, warnings))
}

/// `Programme`, or `'Day 1'` when the name needs quotes (as spreadsheets write references).
/// The most cells a sheet may hold, or span from its first to its last row and column. calamine
/// makes a sheet one grid of every cell it spans, so two cells at `A1` and `XFD1048576` (a file
/// of 1.5 KB) asked for 512 GiB and the import died, and a few MB of compressed rows took
/// gigabytes. An agenda of a thousand rows of twenty columns is 20,000.
const MAX_CELLS: u64 = 1_000_000;

/// Refuses an `.xlsx` sheet that holds or spans more than [`MAX_CELLS`], its cells streamed
/// (stopping at the first cell past the bound) before calamine builds its grid.
fn check_extent<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    name: &str,
) -> Result<(), SheetError> {
    let calamine::Sheets::Xlsx(xlsx) = book else {
        return Ok(());
    };
    let unreadable =
        |e: calamine::XlsxError| SheetError::Input(format!("cannot read sheet {name:?}: {e}"));
    let mut cells = match xlsx.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        // A chart sheet: calamine reads it as empty.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
        Err(e) => return Err(unreadable(e)),
    };
    let (mut held, mut top, mut bottom, mut left, mut right) = (0u64, u32::MAX, 0, u32::MAX, 0);
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let (row, col) = cell.get_position();
        (top, bottom) = (top.min(row), bottom.max(row));
        (left, right) = (left.min(col), right.max(col));
        // A file may give two cells the same place: what it holds is counted too.
        held += 1;
        if let Some(refusal) = too_many(name, held, (top, left), (bottom, right)) {
            return Err(refusal);
        }
    }
    Ok(())
}

/// The refusal of a sheet that holds `held` cells from `first` to `last` (rows and columns from
/// 0), when that is more than [`MAX_CELLS`].
fn too_many(name: &str, held: u64, first: (u32, u32), last: (u32, u32)) -> Option<SheetError> {
    let span = (u64::from(last.0) + 1).saturating_sub(u64::from(first.0))
        * (u64::from(last.1) + 1).saturating_sub(u64::from(first.1));
    if held <= MAX_CELLS && span <= MAX_CELLS {
        return None;
    }
    let at = |(row, col): (u32, u32)| format!("{}{}", letters(col as usize), u64::from(row) + 1);
    let what = if span > MAX_CELLS {
        format!(
            "spans {}:{} ({span} cells; a cell far right or below counts, even alone)",
            at(first),
            at(last)
        )
    } else {
        format!("holds over {MAX_CELLS} cells")
    };
    Some(SheetError::Input(format!(
        "sheet {name:?} {what}; podium reads a sheet of at most {MAX_CELLS} cells: is it the \
         agenda? Delete what is not, or copy the agenda into a sheet of its own"
    )))
}

/// The most a workbook's parts that calamine reads (`.xml`, `.bin`) may unzip to. An agenda's
/// unzip to a few hundred KB; 800 KB of zipped shared strings unzipped to 340 MB and took 1.1 GB.
const MAX_UNZIPPED: u64 = 64 * 1024 * 1024;

/// Refuses a zipped workbook whose parts say they unzip to more than [`MAX_UNZIPPED`] (the zip
/// reader holds each part to the size it says). What cannot be read here is left to calamine.
fn check_unzipped(path: &Path) -> Result<(), SheetError> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else {
            return Ok(());
        };
        let name = part
            .name()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".xml") || name.ends_with(".bin") {
            total = total.saturating_add(part.size());
        }
    }
    if total > MAX_UNZIPPED {
        return Err(SheetError::Input(format!(
            "the workbook unzips to {} MiB, more than the {} MiB podium reads: is it the agenda? \
             Copy the agenda into a workbook of its own",
            total / (1024 * 1024),
            MAX_UNZIPPED / (1024 * 1024)
        )));
    }
    Ok(())
}

/// Refuses an `.ods` workbook with a sheet that holds or spans more than [`MAX_CELLS`], its
/// `content.xml` streamed before calamine expands it: rows and cells say how often they repeat
/// (`table:number-rows-repeated`), so that 834 bytes asked calamine for 50,000,000 cells (44 s,
/// 9 GB). What cannot be read here is left to calamine to refuse.
fn check_ods_extent(path: &Path) -> Result<(), SheetError> {
    use quick_xml::events::{BytesStart, Event};
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let Ok(content) = zip.by_name("content.xml") else {
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let repeats = |e: &BytesStart, key: &str| -> Option<u32> {
        match e.try_get_attribute(key) {
            Ok(Some(a)) => a.value.trim().parse().ok(),
            Ok(None) => Some(1),
            Err(_) => None,
        }
    };
    let has = |e: &BytesStart, key: &str| matches!(e.try_get_attribute(key), Ok(Some(_)));
    // The sheet; its rows so far; the first and last valued cells' places; cells held.
    let mut name = String::new();
    let (mut row, mut col, mut row_repeats, mut held) = (0u32, 0u32, 1u32, 0u64);
    let (mut first, mut last): (Option<(u32, u32)>, (u32, u32)) = (None, (0, 0));
    let mut buf = Vec::new();
    loop {
        let (event, open) = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e, true),
            Ok(Event::Empty(e)) => (e, false),
            Ok(Event::End(e)) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(row_repeats);
                buf.clear();
                continue;
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {
                buf.clear();
                continue;
            }
        };
        match event.name().as_ref() {
            "table:table" => {
                name = match event.try_get_attribute("table:name") {
                    Ok(Some(a)) => a.value.into_owned(),
                    _ => String::new(),
                };
                (row, held, first) = (0, 0, None);
            }
            "table:table-row" => {
                let Some(n) = repeats(&event, "table:number-rows-repeated") else {
                    return Ok(());
                };
                (col, row_repeats) = (0, n);
                if !open {
                    row = row.saturating_add(n);
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let Some(n) = repeats(&event, "table:number-columns-repeated") else {
                    return Ok(());
                };
                let valued =
                    open || has(&event, "office:value-type") || has(&event, "table:formula");
                if valued && n > 0 {
                    let end = (
                        row.saturating_add(row_repeats.saturating_sub(1)),
                        col.saturating_add(n - 1),
                    );
                    let start = first.get_or_insert((row, col));
                    *start = (start.0.min(row), start.1.min(col));
                    last = (last.0.max(end.0), last.1.max(end.1));
                    held = held.saturating_add(u64::from(row_repeats) * u64::from(n));
                    if let Some(refusal) = too_many(&name, held, *start, last) {
                        return Err(refusal);
                    }
                }
                col = col.saturating_add(n);
            }
            _ => {}
        }
        buf.clear();
    }
}

fn sheet_reference(name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', "''"))
    }
}

/// The column letters of a 0-based column: 0 → A, 25 → Z, 26 → AA.
fn letters(mut column: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// A header cell, or a cell whose role does not matter, as text.
fn text_of(cell: &Data) -> String {
    cell_text(cell, Role::Text).unwrap_or_default()
}

/// A cell as the text a CSV would hold, read for its column's role.
fn cell_text(cell: &Data, role: Role) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) => number(*x),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) => {
            let value = t.as_f64();
            let of_day = |v: f64| ((v.fract() * 86_400.0).round() as u64).min(86_399);
            match role {
                Role::TimeOfDay => hms(of_day(value)),
                Role::Length if t.is_duration() || (0.0..1.0).contains(&value) => {
                    hms((value * 86_400.0).round().max(0.0) as u64)
                }
                _ => {
                    let (y, mo, d, h, mi, s, _) = t.to_ymd_hms_milli();
                    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                }
            }
        }
        Data::DateTimeIso(s) => match (role, s.split_once('T')) {
            (Role::TimeOfDay, Some((_, time))) => time.to_owned(),
            _ => s.clone(),
        },
        Data::DurationIso(s) => iso_duration(s).map_or_else(|| s.clone(), hms),
        Data::Error(e) => {
            return Err(format!(
                "the cell holds the error {e}: fix its formula or type the value"
            ));
        }
    })
}

/// `8` for 8.0, `7.5` for 7.5: what the cell shows, without a float's `.0`.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// `h:mm:ss`, which the table reads as a length or a time of day without ambiguity.
fn hms(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Seconds of an OpenDocument (ISO 8601) duration: `PT00H08M00S`, `P1DT2H`, `PT1H30M15.000S`.
fn iso_duration(text: &str) -> Option<u64> {
    let rest = text.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((days, time)) => (days, time),
        None => (rest, ""),
    };
    let mut secs = 0f64;
    for (part, units) in [
        (days, &[('D', 86_400.0)][..]),
        (time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..]),
    ] {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(if c == ',' { '.' } else { c });
            } else {
                let scale = units.iter().find(|(u, _)| *u == c)?.1;
                secs += number.parse::<f64>().ok()? * scale;
                number.clear();
            }
        }
        if !number.is_empty() {
            return None;
        }
    }
    (secs.is_finite() && secs >= 0.0).then(|| secs.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_the_text_a_csv_would_hold() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
        assert_eq!(sheet_reference("Programme"), "Programme");
        assert_eq!(sheet_reference("Day 1"), "'Day 1'");
        assert_eq!(number(8.0), "8");
        assert_eq!(number(7.5), "7.5");
        assert_eq!(iso_duration("PT00H08M00S"), Some(480));
        assert_eq!(iso_duration("PT14H00M00.000S"), Some(50_400));
        assert_eq!(iso_duration("P1DT2H"), Some(93_600));
        assert_eq!(iso_duration("8 minutes"), None);
        let time = Data::DateTime(calamine::ExcelDateTime::new(
            8.0 / 1440.0,
            calamine::ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(cell_text(&time, Role::Length).unwrap(), "0:08:00");
        let start = Data::DateTime(calamine::ExcelDateTime::new(
            46_360.0 + 14.5 / 24.0,
            calamine::ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(cell_text(&start, Role::TimeOfDay).unwrap(), "14:30:00");
        assert!(
            cell_text(&start, Role::Length)
                .unwrap()
                .starts_with("2026-")
        );
    }
}
