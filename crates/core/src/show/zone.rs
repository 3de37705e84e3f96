//! Time-zone names as people write them, and zone labels as people read them.
//!
//! [`parse_zone`] is the one place a zone name is read (`--tz`, `import --timezone`, a session's
//! `timezone`): an IANA name, or a refusal that suggests the names meant (the city part, close
//! spellings, the places behind an abbreviation). [`caution`] says when an accepted name is a
//! legacy abbreviation such as `EST`, a fixed UTC−05:00 that is an hour wrong for New York in
//! summer. [`label`] names a zone's offset at an instant in printed times without the
//! abbreviations readers take for another place (Manila's `PST`).
//!
//! Nothing here reads the clock: every answer comes from the name, the tz database and the
//! instant given.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Offset, TimeZone};
use chrono_tz::{OffsetName, TZ_VARIANTS, Tz};

/// Legacy names the tz database keeps for compatibility: abbreviations or POSIX rules, not places.
/// `fixed`: a constant offset all year (the tz database's `EST` is Panama's clock).
struct Legacy {
    name: &'static str,
    fixed: bool,
    places: &'static [&'static str],
}

const LEGACY: &[Legacy] = &[
    Legacy {
        name: "EST",
        fixed: true,
        places: &["America/New_York", "America/Toronto"],
    },
    Legacy {
        name: "MST",
        fixed: true,
        places: &["America/Denver", "America/Edmonton", "America/Phoenix"],
    },
    Legacy {
        name: "HST",
        fixed: true,
        places: &["Pacific/Honolulu"],
    },
    Legacy {
        name: "EST5EDT",
        fixed: false,
        places: &["America/New_York", "America/Toronto"],
    },
    Legacy {
        name: "CST6CDT",
        fixed: false,
        places: &["America/Chicago", "America/Winnipeg"],
    },
    Legacy {
        name: "MST7MDT",
        fixed: false,
        places: &["America/Denver", "America/Edmonton"],
    },
    Legacy {
        name: "PST8PDT",
        fixed: false,
        places: &["America/Los_Angeles", "America/Vancouver"],
    },
    Legacy {
        name: "CET",
        fixed: false,
        places: &["Europe/Paris", "Europe/Berlin", "Europe/Zurich"],
    },
    Legacy {
        name: "MET",
        fixed: false,
        places: &["Europe/Paris", "Europe/Berlin", "Europe/Zurich"],
    },
    Legacy {
        name: "EET",
        fixed: false,
        places: &["Europe/Athens", "Europe/Helsinki", "Africa/Cairo"],
    },
    Legacy {
        name: "WET",
        fixed: false,
        places: &["Europe/Lisbon", "Atlantic/Canary"],
    },
];

/// Abbreviations that are not zone names at all, and the places people mean by them.
const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("EDT", &["America/New_York", "America/Toronto"]),
    (
        "CST",
        &["America/Chicago", "Asia/Shanghai", "America/Havana"],
    ),
    ("CDT", &["America/Chicago"]),
    ("MDT", &["America/Denver", "America/Edmonton"]),
    (
        "PST",
        &["America/Los_Angeles", "America/Vancouver", "Asia/Manila"],
    ),
    ("PDT", &["America/Los_Angeles", "America/Vancouver"]),
    ("AKST", &["America/Anchorage"]),
    ("AKDT", &["America/Anchorage"]),
    (
        "AST",
        &["America/Halifax", "America/Puerto_Rico", "Asia/Riyadh"],
    ),
    ("ADT", &["America/Halifax"]),
    ("NST", &["America/St_Johns"]),
    ("NDT", &["America/St_Johns"]),
    ("CEST", &["Europe/Paris", "Europe/Berlin", "Europe/Zurich"]),
    ("MEST", &["Europe/Paris", "Europe/Berlin", "Europe/Zurich"]),
    ("EEST", &["Europe/Athens", "Europe/Helsinki"]),
    ("WEST", &["Europe/Lisbon"]),
    ("BST", &["Europe/London"]),
    ("IST", &["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
    ("MSK", &["Europe/Moscow"]),
    ("SAST", &["Africa/Johannesburg"]),
    ("CAT", &["Africa/Maputo", "Africa/Harare"]),
    ("EAT", &["Africa/Nairobi", "Africa/Addis_Ababa"]),
    ("WAT", &["Africa/Lagos", "Africa/Kinshasa"]),
    ("PKT", &["Asia/Karachi"]),
    ("PHT", &["Asia/Manila"]),
    ("PHST", &["Asia/Manila"]),
    ("WIB", &["Asia/Jakarta"]),
    ("SGT", &["Asia/Singapore"]),
    ("HKT", &["Asia/Hong_Kong"]),
    ("JST", &["Asia/Tokyo"]),
    ("KST", &["Asia/Seoul"]),
    ("AWST", &["Australia/Perth"]),
    ("ACST", &["Australia/Adelaide", "Australia/Darwin"]),
    ("ACDT", &["Australia/Adelaide"]),
    (
        "AEST",
        &[
            "Australia/Sydney",
            "Australia/Melbourne",
            "Australia/Brisbane",
        ],
    ),
    ("AEDT", &["Australia/Sydney", "Australia/Melbourne"]),
    ("NZST", &["Pacific/Auckland"]),
    ("NZDT", &["Pacific/Auckland"]),
];

/// Cities people name that have no zone of their own in the tz database, and the zone they keep.
const CITIES: &[(&str, &str)] = &[
    ("geneva", "Europe/Zurich"),
    ("geneve", "Europe/Zurich"),
    ("genf", "Europe/Zurich"),
    ("bern", "Europe/Zurich"),
    ("thehague", "Europe/Amsterdam"),
    ("washington", "America/New_York"),
    ("washingtondc", "America/New_York"),
    ("ottawa", "America/Toronto"),
    ("sanfrancisco", "America/Los_Angeles"),
    ("seattle", "America/Los_Angeles"),
    ("beijing", "Asia/Shanghai"),
    ("mumbai", "Asia/Kolkata"),
    ("delhi", "Asia/Kolkata"),
    ("newdelhi", "Asia/Kolkata"),
    ("canberra", "Australia/Sydney"),
];

/// At most this many nearest names are suggested.
const SUGGESTIONS: usize = 3;
/// How alike (normalised Damerau–Levenshtein, 0–1) a name must be to be suggested.
const ALIKE: f64 = 0.75;

/// An IANA zone name. "Europe/Geneva", which the tz database folds into Zurich's zone but which
/// programmes of Geneva-based organisations naturally use, is accepted as Europe/Zurich. Legacy
/// names the tz database still knows (`EST`, `CET`) are accepted; [`caution`] says what is wrong
/// with them. An unknown name is refused with the names most likely meant.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("Europe/Geneva") {
        return Ok(Tz::Europe__Zurich);
    }
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    let upper = name.to_ascii_uppercase();
    if let Some(places) = ABBREVIATIONS
        .iter()
        .find(|(abbr, _)| *abbr == upper)
        .map(|(_, places)| *places)
        .or_else(|| legacy(&upper).map(|l| l.places))
    {
        return Err(format!(
            "unknown time zone {name:?}: an abbreviation is not a zone (places share one, and it \
             changes with the seasons); name the place: {}",
            or_list(places)
        ));
    }
    if let Some(advice) = fixed_offset(name) {
        return Err(format!("unknown time zone {name:?}: {advice}"));
    }
    if let Ok(tz) = Tz::from_str_insensitive(name) {
        return Err(format!(
            "unknown time zone {name:?}: did you mean {:?}?",
            tz.name()
        ));
    }
    match nearest(name).as_slice() {
        [] => Err(format!(
            "unknown time zone {name:?}: use an IANA name such as \"Europe/Zurich\" or \"America/New_York\""
        )),
        names => Err(format!(
            "unknown time zone {name:?}: did you mean {}?",
            or_list(names)
        )),
    }
}

/// Advice for an offset written as a zone ("UTC+2", "GMT-05:00", "+05:30"): a place's name, or
/// the tz database's fixed zone for a whole hour, whose POSIX sign is the reverse.
fn fixed_offset(name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let rest = ["UTC", "GMT"]
        .iter()
        .find_map(|p| upper.strip_prefix(p))
        .unwrap_or(&upper)
        .trim();
    let (sign, digits) = match rest.chars().next()? {
        '+' => (1, &rest[1..]),
        '-' | '\u{2212}' => (-1, rest.trim_start_matches(['-', '\u{2212}'])),
        _ => return None,
    };
    let (hours, minutes) = digits.split_once(':').unwrap_or((digits, "0"));
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return None;
    }
    let place = "a fixed offset is not a place's clock (it ignores daylight saving time): name \
                 the place, e.g. \"Europe/Zurich\"";
    // POSIX: Etc/GMT-2 is two hours *ahead* of UTC. The database has whole hours only.
    let etc = format!("Etc/GMT{}{hours}", if sign > 0 { '-' } else { '+' });
    Some(if minutes == 0 && hours > 0 && etc.parse::<Tz>().is_ok() {
        format!(
            "{place}, or {etc:?} for a fixed UTC{}{hours:02}:00 (its sign is POSIX's, reversed)",
            if sign > 0 { '+' } else { '-' }
        )
    } else {
        place.to_owned()
    })
}

/// What is wrong with an accepted zone, for a warning: `None` for a place's zone. The legacy
/// abbreviations are accepted (old files and habits use them) but are not a place's clock: `EST`
/// is UTC−05:00 all year, an hour off for New York in summer; `CET` follows one country's rules.
pub fn caution(tz: Tz) -> Option<String> {
    let name = tz.name();
    if let Some(legacy) = legacy(name) {
        let places = or_list(legacy.places);
        return Some(if legacy.fixed {
            let offset = utc_offset(tz.offset_from_utc_datetime(&reference_winter()).fix());
            format!(
                "time zone {name:?} is a fixed {offset} all year, without daylight saving time: an \
                 hour off in summer for places that change their clocks; name the place instead: \
                 {places}"
            )
        } else {
            format!(
                "time zone {name:?} is a legacy rule, not a place, and may not follow your \
                 place's changes; name the place instead: {places}"
            )
        });
    }
    // POSIX signs: "Etc/GMT+5" is five hours *behind* UTC.
    let hours = name.strip_prefix("Etc/GMT")?;
    if hours.len() > 1 && (hours.starts_with('+') || hours.starts_with('-')) {
        let offset = utc_offset(tz.offset_from_utc_datetime(&reference_winter()).fix());
        return Some(format!(
            "time zone {name:?} is {offset} (its sign is POSIX's, the reverse of ISO 8601's); if \
             you meant a place, name it, e.g. \"Europe/Zurich\""
        ));
    }
    None
}

/// The label of `t`'s offset in printed times. Its abbreviation when that is alphabetic and the tz
/// database uses it for one UTC offset only (CET, CEST, EDT, JST, GMT), else the offset itself,
/// "UTC+08:00": Manila's "PST" reads as Pacific time, India's "IST" as Irish or Israeli, Chicago's
/// "CST" as China's, and numeric abbreviations ("+03") are clearer written out.
pub fn label(t: &DateTime<Tz>) -> String {
    let offset = t.offset().fix();
    match t.offset().abbreviation() {
        Some(abbr)
            if abbr.chars().all(|c| c.is_ascii_alphabetic())
                && abbreviation_offsets()
                    .get(abbr)
                    .is_some_and(|offsets| offsets == &[offset.local_minus_utc()]) =>
        {
            abbr.to_owned()
        }
        _ => utc_offset(offset),
    }
}

/// `t` as "HH:MM LABEL" (see [`label`]).
pub fn clock_with_label(t: &DateTime<Tz>) -> String {
    format!("{} {}", t.format("%H:%M"), label(t))
}

/// "UTC+08:00", "UTC-05:00", "UTC+05:30"; "UTC" for no offset.
fn utc_offset(offset: chrono::FixedOffset) -> String {
    let secs = offset.local_minus_utc();
    if secs == 0 {
        return "UTC".to_owned();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let mins = secs.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", mins / 60, mins % 60)
}

fn legacy(name: &str) -> Option<&'static Legacy> {
    LEGACY.iter().find(|l| l.name == name)
}

/// A winter instant for the offset of a fixed zone (any instant would do).
fn reference_winter() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 1, 15)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("a valid date")
}

/// Every alphabetic abbreviation in the tz database and the UTC offsets (seconds) it stands for,
/// sampled in January and July of 2015–2035 across every zone: an abbreviation with more than one
/// offset is ambiguous.
fn abbreviation_offsets() -> &'static HashMap<String, Vec<i32>> {
    static MAP: OnceLock<HashMap<String, Vec<i32>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map: HashMap<String, Vec<i32>> = HashMap::new();
        let instants: Vec<_> = (2015..=2035)
            .flat_map(|year| [1, 7].map(|month| (year, month)))
            .filter_map(|(year, month)| {
                NaiveDate::from_ymd_opt(year, month, 15)?.and_hms_opt(12, 0, 0)
            })
            .collect();
        for tz in TZ_VARIANTS {
            for at in &instants {
                let offset = tz.offset_from_utc_datetime(at);
                if let Some(abbr) = offset.abbreviation() {
                    let offsets = map.entry(abbr.to_owned()).or_default();
                    let secs = offset.fix().local_minus_utc();
                    if !offsets.contains(&secs) {
                        offsets.push(secs);
                    }
                }
            }
        }
        map
    })
}

/// Lower-case letters and digits only: "America/New_York" and "america newyork" compare equal.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn city(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// The zone names nearest to `name`: by the whole name and by its city part ("Manila" →
/// Asia/Manila, "America/NewYork" → America/New_York), case and punctuation ignored. Places'
/// zones come before the tz database's old aliases ("US/Eastern") on a tie.
fn nearest(name: &str) -> Vec<&'static str> {
    let (whole, town) = (squash(name), squash(city(name)));
    if whole.is_empty() {
        return Vec::new();
    }
    if let Some((_, zone)) = CITIES.iter().find(|(c, _)| *c == town) {
        return vec![zone];
    }
    let place = |n: &str| {
        [
            "Africa/",
            "America/",
            "Antarctica/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ]
        .iter()
        .any(|area| n.starts_with(area))
    };
    let mut scored: Vec<(f64, bool, &'static str)> = TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|n| legacy(n).is_none())
        .map(|n| {
            let by_name = strsim::normalized_damerau_levenshtein(&whole, &squash(n));
            let by_city = strsim::normalized_damerau_levenshtein(&town, &squash(city(n)));
            (by_name.max(by_city), place(n), n)
        })
        .filter(|(score, ..)| *score >= ALIKE)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
    scored
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(.., n)| n)
        .collect()
}

/// `"A"`, `"A" or "B"`, `"A", "B" or "C"`.
fn or_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The year's two halves differ for a zone with daylight saving time.
#[cfg(test)]
fn changes_clocks(tz: Tz, year: i32) -> bool {
    let at = |m| {
        tz.with_ymd_and_hms(year, m, 15, 12, 0, 0)
            .single()
            .map(|t| t.offset().fix())
    };
    at(1) != at(7) && at(1).is_some() && at(7).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn iana_names_pass_and_geneva_is_zurich() {
        assert_eq!(parse_zone("America/New_York"), Ok(Tz::America__New_York));
        assert_eq!(parse_zone(" Asia/Manila "), Ok(Tz::Asia__Manila));
        assert_eq!(parse_zone("europe/geneva"), Ok(Tz::Europe__Zurich));
        assert_eq!(caution(Tz::America__New_York), None);
        assert_eq!(caution(Tz::UTC), None);
    }

    #[test]
    fn a_city_alone_or_misspelt_suggests_the_iana_name() {
        let why = parse_zone("Manila").unwrap_err();
        assert!(why.contains("did you mean \"Asia/Manila\""), "{why}");
        let why = parse_zone("America/NewYork").unwrap_err();
        assert!(why.contains("did you mean \"America/New_York\""), "{why}");
        let why = parse_zone("new york").unwrap_err();
        assert!(why.contains("\"America/New_York\""), "{why}");
        let why = parse_zone("Europe/Zurik").unwrap_err();
        assert!(why.contains("\"Europe/Zurich\""), "{why}");
        let why = parse_zone("Geneva").unwrap_err();
        assert!(why.contains("did you mean \"Europe/Zurich\"?"), "{why}");
        let why = parse_zone("america/toronto").unwrap_err();
        assert!(why.contains("did you mean \"America/Toronto\"?"), "{why}");
    }

    #[test]
    fn an_offset_is_pointed_at_places_and_the_etc_zone_with_its_sign() {
        let why = parse_zone("UTC+2").unwrap_err();
        assert!(why.contains("name the place"), "{why}");
        assert!(why.contains("\"Etc/GMT-2\" for a fixed UTC+02:00"), "{why}");
        let why = parse_zone("GMT-5").unwrap_err();
        assert!(why.contains("\"Etc/GMT+5\" for a fixed UTC-05:00"), "{why}");
        let why = parse_zone("+05:30").unwrap_err();
        assert!(
            why.contains("name the place") && !why.contains("Etc/"),
            "{why}"
        );
        assert_eq!(
            parse_zone("Etc/GMT-2").map(|tz| caution(tz).is_some()),
            Ok(true)
        );
    }

    #[test]
    fn nonsense_gets_the_general_advice() {
        let why = parse_zone("Mars/Olympus").unwrap_err();
        assert!(why.contains("use an IANA name such as"), "{why}");
        assert!(parse_zone("").is_err());
    }

    #[test]
    fn abbreviations_outside_the_database_name_their_places() {
        let why = parse_zone("PST").unwrap_err();
        assert!(why.contains("\"America/Los_Angeles\""), "{why}");
        assert!(why.contains("\"Asia/Manila\""), "{why}");
        let why = parse_zone("cest").unwrap_err();
        assert!(why.contains("\"Europe/Paris\""), "{why}");
        // A legacy name in the wrong case is pointed at the places, not at itself.
        let why = parse_zone("est").unwrap_err();
        assert!(why.contains("\"America/New_York\""), "{why}");
    }

    #[test]
    fn legacy_names_are_accepted_with_a_caution() {
        let est = parse_zone("EST").unwrap();
        let why = caution(est).unwrap();
        assert!(why.contains("fixed UTC-05:00 all year"), "{why}");
        assert!(why.contains("\"America/New_York\""), "{why}");
        let why = caution(parse_zone("EST5EDT").unwrap()).unwrap();
        assert!(why.contains("legacy rule"), "{why}");
        assert!(why.contains("\"America/New_York\""), "{why}");
        for name in [
            "MST", "HST", "CST6CDT", "MST7MDT", "PST8PDT", "CET", "MET", "EET", "WET",
        ] {
            assert!(caution(parse_zone(name).unwrap()).is_some(), "{name}");
        }
        let why = caution(parse_zone("Etc/GMT+5").unwrap()).unwrap();
        assert!(why.contains("UTC-05:00"), "{why}");
        assert_eq!(caution(parse_zone("Etc/GMT").unwrap()), None);
    }

    /// The table's `fixed` must agree with the tz database the build carries.
    #[test]
    fn the_legacy_table_matches_the_database() {
        for legacy in LEGACY {
            let tz: Tz = legacy.name.parse().expect("a name the database knows");
            assert_eq!(!changes_clocks(tz, 2025), legacy.fixed, "{}", legacy.name);
            for place in legacy.places {
                assert!(place.parse::<Tz>().is_ok(), "{place}");
            }
        }
        for (_, places) in ABBREVIATIONS {
            for place in *places {
                assert!(place.parse::<Tz>().is_ok(), "{place}");
            }
        }
        // New York changes its clocks; EST does not: the hour a warning is about.
        assert!(changes_clocks(Tz::America__New_York, 2025));
    }

    fn at(tz: Tz, rfc3339: &str) -> DateTime<Tz> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
            .with_timezone(&tz)
    }

    #[test]
    fn ambiguous_or_numeric_abbreviations_become_offsets() {
        let summer = "2021-06-10T12:00:00Z";
        let winter = "2021-12-10T12:00:00Z";
        assert_eq!(label(&at(Tz::Asia__Manila, summer)), "UTC+08:00");
        assert_eq!(label(&at(Tz::Asia__Kolkata, summer)), "UTC+05:30");
        assert_eq!(label(&at(Tz::America__Los_Angeles, winter)), "UTC-08:00");
        assert_eq!(label(&at(Tz::Asia__Dubai, summer)), "UTC+04:00");
        assert_eq!(label(&at(Tz::Europe__Zurich, summer)), "CEST");
        assert_eq!(label(&at(Tz::Europe__Zurich, winter)), "CET");
        assert_eq!(label(&at(Tz::America__New_York, summer)), "EDT");
        assert_eq!(label(&at(Tz::America__Los_Angeles, summer)), "PDT");
        assert_eq!(label(&at(Tz::Asia__Tokyo, summer)), "JST");
        assert_eq!(label(&at(Tz::Europe__London, winter)), "GMT");
        assert_eq!(label(&at(Tz::UTC, winter)), "UTC");
        assert_eq!(
            clock_with_label(&at(Tz::Asia__Manila, summer)),
            "20:00 UTC+08:00"
        );
    }
}
