//! Reading `schedule.xml` (frab's, pentabarf's and pretalx's export) with `roxmltree`: no DTD (so
//! no entity expansion), a bounded number of nodes, and each event's line from its position.

use chrono::NaiveDate;

use super::{Day, Event, Lines, Room, Schedule, ScheduleError};

/// The most XML nodes read; the input's size is bounded too ([`crate::import::MAX_INPUT`]).
const MAX_NODES: u32 = 2_000_000;

pub(super) fn document(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options)
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn text_of(node: roxmltree::Node, name: &str) -> Option<String> {
    child(node, name).map(|c| c.text().unwrap_or_default().to_owned())
}

pub(super) fn parse(text: &str) -> Result<Schedule, ScheduleError> {
    let doc = document(text).map_err(|e| {
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
    })?;
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
