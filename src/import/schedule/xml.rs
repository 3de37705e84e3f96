//! Reading `schedule.xml` (frab's, pentabarf's and pretalx's export) with `roxmltree`: no DTD (so
//! no entity expansion), a bounded number of nodes, and each event's line from its position.

use chrono::NaiveDate;

use super::{Day, Event, Lines, Room, Schedule, ScheduleError};

/// The most XML nodes read; the input's size is bounded too ([`crate::import::MAX_INPUT`]).
const MAX_NODES: u32 = 2_000_000;

/// The most attributes an element may have. roxmltree checks each attribute against the
/// element's others, so that 100,000 attributes on one element took 20 s and a million (a file
/// of 12 MB) ran past 2 minutes (about half an hour, by its growth). A schedule's elements have
/// a handful.
const MAX_ATTRIBUTES: usize = 1000;

/// The document, or why not at its line and column (a DTD, too many nodes or attributes, not
/// well-formed).
pub(super) fn document(text: &str) -> Result<roxmltree::Document<'_>, ScheduleError> {
    if let Some(at) = crowded_element(text) {
        let line_start = text[..at].rfind('\n').map_or(0, |nl| nl + 1);
        return Err(ScheduleError::Syntax {
            line: Lines::new(text).line(at),
            col: text[line_start..at].chars().count() + 1,
            message: format!(
                "an element with more than {MAX_ATTRIBUTES} attributes: this is far larger than \
                 any conference"
            ),
        });
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        let message = e.to_string().replace(&format!(" at {pos}"), "");
        let remedy = match e {
            roxmltree::Error::DtdDetected => {
                "a schedule needs no DTD; remove the <!DOCTYPE …> declaration"
            }
            roxmltree::Error::NodesLimitReached => "this is far larger than any conference",
            _ => "the file is not well-formed XML; export schedule.xml again, or correct it there",
        };
        ScheduleError::Syntax {
            line: pos.row as usize,
            col: pos.col as usize,
            message: format!("{message}: {remedy}"),
        }
    })
}

/// Where the first element with more than [`MAX_ATTRIBUTES`] attributes begins, by one linear
/// scan before parsing: an attribute is an `=` outside quotes within a tag; comments, CDATA and
/// processing instructions are skipped.
fn crowded_element(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = bytes.get(from..)?.iter().position(|&b| b == b'<') {
        let start = from + found;
        let rest = &text[start..];
        let past = |end: &str| rest.find(end).map(|e| start + e + end.len());
        let next = if rest.starts_with("<!--") {
            past("-->")
        } else if rest.starts_with("<![CDATA[") {
            past("]]>")
        } else if rest.starts_with("<?") {
            past("?>")
        } else {
            let (mut quote, mut attributes, mut end) = (None, 0, None);
            for (i, &b) in bytes[start + 1..].iter().enumerate() {
                match (quote, b) {
                    (Some(q), b) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'=') => {
                        attributes += 1;
                        if attributes > MAX_ATTRIBUTES {
                            return Some(start);
                        }
                    }
                    (None, b'>') => {
                        end = Some(start + i + 2);
                        break;
                    }
                    _ => {}
                }
            }
            end
        };
        from = next?;
    }
    None
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn text_of(node: roxmltree::Node, name: &str) -> Option<String> {
    child(node, name).map(|c| c.text().unwrap_or_default().to_owned())
}

pub(super) fn parse(text: &str) -> Result<Schedule, ScheduleError> {
    let doc = document(text)?;
    let lines = Lines::new(text);
    let line_of = |node: roxmltree::Node| lines.line(node.range().start);
    let root = doc.root_element();
    if !root.has_tag_name("schedule") {
        return Err(ScheduleError::Input(format!(
            "the XML's root is <{}>, not <schedule>: export schedule.xml from pretalx or frab",
            root.tag_name().name()
        )));
    }
    let conference = child(root, "conference").ok_or_else(|| {
        ScheduleError::Input(
            "<schedule> has no <conference>: export schedule.xml from pretalx or frab".into(),
        )
    })?;
    let zone = child(conference, "time_zone_name")
        .map(|n| (n.text().unwrap_or_default().to_owned(), line_of(n)));
    let mut days = Vec::new();
    for (position, day) in root
        .children()
        .filter(|c| c.has_tag_name("day"))
        .enumerate()
    {
        let date = day
            .attribute("date")
            .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok());
        let index = day
            .attribute("index")
            .and_then(|i| i.trim().parse().ok())
            .unwrap_or(position + 1);
        let rooms = day
            .children()
            .filter(|c| c.has_tag_name("room"))
            .map(|room| Room {
                name: room.attribute("name").unwrap_or_default().to_owned(),
                events: room
                    .children()
                    .filter(|c| c.has_tag_name("event"))
                    .map(|e| Event {
                        line: line_of(e),
                        title: text_of(e, "title").unwrap_or_default(),
                        subtitle: text_of(e, "subtitle").unwrap_or_default(),
                        kind: text_of(e, "type").unwrap_or_default(),
                        track: text_of(e, "track").unwrap_or_default(),
                        url: text_of(e, "url").unwrap_or_default(),
                        date: text_of(e, "date"),
                        start: text_of(e, "start"),
                        duration: text_of(e, "duration"),
                        persons: child(e, "persons")
                            .map(|p| {
                                p.children()
                                    .filter(|c| c.has_tag_name("person"))
                                    .map(|c| c.text().unwrap_or_default().to_owned())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        days.push(Day { index, date, rooms });
    }
    Ok(Schedule {
        title: text_of(conference, "title").unwrap_or_default(),
        acronym: text_of(conference, "acronym").unwrap_or_default(),
        zone,
        days,
    })
}
