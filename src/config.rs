//! `podium run`'s front door: the command line ([`RunArgs`]) becomes one validated [`RunConfig`]
//! before anything starts, or a [`ConfigError`] listing every problem found, each naming its flag
//! and the fix. Nothing here binds a port or creates a journal: a refused run leaves nothing
//! behind. [`crate::live::run`] trusts the config and validates nothing itself.
//!
//! Checked here: the session file loads; `--bind` names an address of this machine (host names
//! resolved now); `--tls-cert`/`--tls-key` read and parse as PEM; a given `--token` is long
//! enough; the journal's directory exists and takes files, or can be created, and a `--journal`
//! file does not exist yet; a `--resume` journal reads, belongs to this show and file. Plain
//! value syntax (`--speed`, timeouts, `--allow-origin`, limits) is clap's, before this.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::RunArgs;
use crate::exit::{Exit, Status};
use crate::journal::{self, JournalError, Recorded};
use crate::server::{self, TlsAcceptor, TlsError, Token};
use crate::show::{self, LoadError, Show};

/// Where runs are recorded unless `--journal` says otherwise, relative to the working directory.
pub const RUNS_DIR: &str = "runs";

/// The port when `--bind` names only an address or a host.
const DEFAULT_PORT: u16 = 8080;

/// A run, validated: everything [`crate::live::run`] needs, nothing left to check.
pub struct RunConfig {
    /// The event's title (the session's for a plain session file).
    pub title: String,
    /// Every room, in the event's order; one for a plain session file.
    pub rooms: Vec<RoomRun>,
    /// A plain session file: one room, today's URLs at `/`, no organiser token.
    pub single: bool,
    /// The organiser's token, which controls every room (several rooms only).
    pub organiser: Option<Token>,
    /// Where the run's journals are (several rooms: one directory, one journal per room).
    pub run_dir: Option<RunDir>,
    pub bind: SocketAddr,
    pub tls: Option<TlsAcceptor>,
    pub notify: bool,
    /// `--write-back`: each edit of the run-of-show is saved into its session file.
    pub write_back: bool,
    pub allow_framing: bool,
    pub allowed_origins: Vec<String>,
    pub limits: server::Limits,
    /// OSC in and out (`--osc-listen`, `--osc-send`).
    pub osc: crate::osc::OscConfig,
    /// `--nats`: the link beyond this machine (relays, the standby, the lease).
    pub nats: Option<crate::nats::standby::Options>,
    /// Said on stderr when the run starts (a legacy zone abbreviation, ignored flags, the address
    /// chosen among a host name's).
    pub warnings: Vec<String>,
}

/// One room of the run.
pub struct RoomRun {
    /// URL-safe and unique (`/r/{id}/`).
    pub id: String,
    pub name: String,
    /// The room's session file as given (a plain session's journals are named after it).
    pub file: PathBuf,
    pub show: Arc<Show>,
    /// The session file's content hash, kept in the journal to refuse resuming a changed show.
    pub hash: String,
    pub begin: Begin,
}

/// The directory of an event's run: one `<room>.jsonl` per room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunDir {
    /// `--journal DIR` (it does not exist yet).
    Given(PathBuf),
    /// `RUNS_DIR/<stem>-<UTC start>/`, named once the clocks have started.
    Default { dir: PathBuf, stem: String },
    /// `--resume`: the run's existing directory.
    Resumed(PathBuf),
}

/// How the run begins: a new journal, or one replayed.
pub enum Begin {
    Fresh {
        token: Token,
        speed: f64,
        rehearsal: bool,
        journal: JournalPlace,
    },
    Resume {
        recorded: Box<Recorded>,
        /// Why this journal, when podium chose it (a plain `--resume`).
        why: Option<String>,
    },
}

/// Where a new journal goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalPlace {
    /// `--journal PATH`: exactly there (it does not exist yet).
    Given(PathBuf),
    /// `RUNS_DIR/<show>-<UTC start>.jsonl`, named once the clock has started.
    Default(PathBuf),
    /// A room of an event: `<room>.jsonl` in the run's directory ([`RunConfig::run_dir`]).
    InRun,
}

/// One thing wrong with the arguments; the message names the flag and what to do.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Show(#[from] LoadError),
    #[error(transparent)]
    Event(#[from] show::EventError),
    #[error("--bind {given:?}: {why}")]
    Bind { given: String, why: String },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(
        "--token must be at least {min} characters, so that it cannot be guessed; leave it out for \
         128 random bits",
        min = server::MIN_TOKEN_CHARS
    )]
    ShortToken,
    #[error("cannot read the OS random source for a token ({0}); give one with --token")]
    Random(String),
    #[error(
        "--journal {}: the file already exists; choose a new name, or continue that run with \
         --resume {}",
        .0.display(), .0.display()
    )]
    JournalExists(PathBuf),
    #[error("{flag} {}: {why}", path.display())]
    JournalDir {
        flag: &'static str,
        path: PathBuf,
        why: String,
    },
    #[error("--resume: {0}")]
    Resume(JournalError),
    #[error(
        "{} and {} are both room {id:?}: a room's id is its file's name, and ids must differ; \
         rename one file, or write an event file with an id for each room",
        first.display(), second.display()
    )]
    DuplicateRoom {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "--token: an event's rooms each get their own moderator token (printed at start), so that \
         a room's moderator controls that room only; leave --token out, and give \
         --organiser-token for the one token that controls every room"
    )]
    TokenWithRooms,
    #[error(
        "--organiser-token must be at least {min} characters, so that it cannot be guessed; leave \
         it out for 128 random bits",
        min = server::MIN_TOKEN_CHARS
    )]
    ShortOrganiserToken,
    #[error(transparent)]
    Osc(#[from] crate::osc::OscError),
    #[error("--resume {}: room {id:?} has no journal there ({why})", run.display())]
    RoomJournal {
        run: PathBuf,
        id: String,
        why: String,
    },
}

impl Exit for Problem {
    fn exit_status(&self) -> Status {
        match self {
            Problem::Random(_) => Status::Failure,
            Problem::Resume(e) => e.exit_status(),
            _ => Status::Input,
        }
    }
}

/// Why a run was refused before it started: every problem found, in the order of the flags.
#[derive(Debug)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                write!(f, "{} problems; nothing was started:", all.len())?;
                for problem in all {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl Exit for ConfigError {
    /// `2` when any problem is the user's to fix (fix those first), else `1`.
    fn exit_status(&self) -> Status {
        let input = self
            .problems
            .iter()
            .any(|p| p.exit_status() == Status::Input);
        if input {
            Status::Input
        } else {
            Status::Failure
        }
    }
}

impl RunConfig {
    /// Validates `args`: the session file, the address, TLS, token, journal or resume choice.
    pub fn from_args(args: RunArgs) -> Result<RunConfig, ConfigError> {
        RunConfig::check(args, &server::origin::machine_addresses())
    }

    /// [`RunConfig::from_args`] with the machine's addresses given (empty: not known, any goes).
    fn check(args: RunArgs, machine: &[IpAddr]) -> Result<RunConfig, ConfigError> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let event = load_rooms(&args.files, &mut problems, &mut warnings);
        let bind = match parse_bind(&args.bind) {
            Ok((addr, note)) => {
                warnings.extend(note);
                match foreign(addr.ip(), machine) {
                    Some(why) => {
                        problems.push(Problem::Bind {
                            given: args.bind.clone(),
                            why,
                        });
                        None
                    }
                    None => Some(addr),
                }
            }
            Err(why) => {
                problems.push(Problem::Bind {
                    given: args.bind.clone(),
                    why,
                });
                None
            }
        };
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => server::tls_acceptor(cert, key)
                .map_err(|e| problems.push(e.into()))
                .ok(),
            // clap makes each require the other.
            _ => None,
        };
        let osc = crate::osc::OscConfig::from_args(args.osc_listen.as_deref(), &args.osc_send)
            .map_err(|errors| problems.extend(errors.into_iter().map(Problem::Osc)))
            .unwrap_or_default();
        let started = match event {
            Some(event) if event.single => single_begin(&args, event, &mut problems, &mut warnings),
            Some(event) => event_begin(&args, event, &mut problems, &mut warnings),
            // A session that does not load: its other flags are still checked, so that every
            // problem is said at once.
            None => {
                if let [file] = args.files.as_slice() {
                    match &args.resume {
                        Some(from) => {
                            if let Err(e) = resume(&args, file, from.as_deref(), None, "") {
                                problems.push(e);
                            }
                        }
                        None => {
                            fresh(&args, &mut problems);
                        }
                    }
                }
                None
            }
        };
        // NATS names the event: a session or an event file by its name, several session files by
        // their rooms joined (an id, bounded like a room's).
        let nats = args.nats.clone().map(|url| crate::nats::standby::Options {
            url,
            event: match args.files.as_slice() {
                [file] => room_id(file),
                _ => started.as_ref().map(nats_event_id).unwrap_or_default(),
            },
            standby: args.standby,
            lease: args.lease,
        });
        match (started, bind) {
            (Some(started), Some(bind)) if problems.is_empty() => Ok(RunConfig {
                title: started.title,
                rooms: started.rooms,
                single: started.single,
                organiser: started.organiser,
                run_dir: started.run_dir,
                bind,
                tls,
                notify: !args.no_notify,
                write_back: args.write_back,
                allow_framing: args.allow_framing,
                allowed_origins: args.allow_origins,
                limits: server::Limits {
                    max_connections: args.max_connections as usize,
                    handshake_timeout: args.handshake_timeout,
                    send_timeout: args.send_timeout,
                    commands_per_second: args.commands_per_second,
                    ..server::Limits::default()
                },
                osc,
                nats,
                warnings,
            }),
            _ => Err(ConfigError { problems }),
        }
    }
}

/// The rooms as loaded, before their journals are chosen.
struct Loaded {
    title: String,
    /// Journals and run directories are named after this.
    stem: String,
    single: bool,
    rooms: Vec<(String, String, PathBuf, Arc<Show>, String)>,
}

/// What the rooms begin from, and the tokens.
struct Started {
    title: String,
    single: bool,
    rooms: Vec<RoomRun>,
    organiser: Option<Token>,
    run_dir: Option<RunDir>,
}

/// Loads the rooms: one session file (a plain session), or several, one room each (the id from
/// the file's name). Every file that fails is a problem; duplicate ids too.
fn load_rooms(
    files: &[PathBuf],
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) -> Option<Loaded> {
    if let [file] = files
        && std::fs::read(file)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .is_some_and(|text| podium_core::event::is_event(&text))
    {
        return load_event(file, problems, warnings);
    }
    let before = problems.len();
    let mut rooms: Vec<(String, String, PathBuf, Arc<Show>, String)> = Vec::new();
    for file in files {
        match load(file) {
            Ok((show, hash)) => {
                if let Some(why) = show::zone_caution(show.timezone) {
                    warnings.push(format!("{}: {why}", file.display()));
                }
                let id = room_id(file);
                if let Some((_, _, first, _, _)) = rooms.iter().find(|r| r.0 == id) {
                    problems.push(Problem::DuplicateRoom {
                        id: id.clone(),
                        first: first.clone(),
                        second: file.clone(),
                    });
                    continue;
                }
                let name = show.title.clone();
                rooms.push((id, name, file.clone(), Arc::new(show), hash));
            }
            Err(e) => problems.push(Problem::Show(e)),
        }
    }
    if problems.len() > before || rooms.is_empty() {
        return None;
    }
    let single = files.len() == 1;
    let title = if single {
        rooms[0].3.title.clone()
    } else {
        rooms
            .iter()
            .map(|r| r.3.title.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let stem = if single {
        String::new()
    } else {
        rooms
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>()
            .join("+")
    };
    Some(Loaded {
        title,
        stem,
        single,
        rooms: if single {
            rooms
                .into_iter()
                .map(|(_, name, file, show, hash)| {
                    (
                        podium_core::event::SINGLE_ROOM.to_owned(),
                        name,
                        file,
                        show,
                        hash,
                    )
                })
                .collect()
        } else {
            rooms
        },
    })
}

/// An event file: its rooms as the file names them (R1's [`show::load_event_file`]). Each room's
/// hash is of the file its show was read from (the event file for an inline show), so a resume
/// refuses a room whose show changed.
fn load_event(
    file: &Path,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) -> Option<Loaded> {
    let event = show::load_event_file(file)
        .map_err(|e| problems.push(Problem::Event(e)))
        .ok()?;
    if let Some(why) = show::zone_caution(event.timezone) {
        warnings.push(format!("{}: {why}", file.display()));
    }
    let mut rooms = Vec::new();
    for room in event.rooms {
        let source = room.show.path.clone();
        let hash = match std::fs::read(&source) {
            Ok(bytes) => journal::content_hash(&bytes),
            Err(source_err) => {
                problems.push(Problem::Show(LoadError::Read {
                    path: source,
                    source: source_err,
                }));
                continue;
            }
        };
        rooms.push((room.id, room.name, source, Arc::new(room.show), hash));
    }
    let stem = file
        .file_stem()
        .map(|s| room_id(Path::new(s)))
        .unwrap_or_else(|| "event".into());
    Some(Loaded {
        title: event.title,
        stem,
        single: false,
        rooms,
    })
}

/// An event's id on NATS when it has several rooms: its rooms' ids joined, as its run directory
/// is named.
fn nats_event_id(started: &Started) -> String {
    let joined: Vec<&str> = started.rooms.iter().map(|r| r.id.as_str()).collect();
    room_id(Path::new(&joined.join("-")))
}

/// A room's id from its session file's name, made URL-safe: `Room XIX.toml` → `room-xix`.
pub fn room_id(file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut id = String::new();
    for c in stem.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id: String = id
        .trim_matches('-')
        .chars()
        .take(podium_core::event::MAX_ID_CHARS)
        .collect();
    let id = id.trim_end_matches('-').to_owned();
    if id.is_empty() { "room".to_owned() } else { id }
}

/// A plain session file: today's run, one room.
fn single_begin(
    args: &RunArgs,
    loaded: Loaded,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) -> Option<Started> {
    let (id, name, file, show, hash) = loaded.rooms.into_iter().next()?;
    let begin = match &args.resume {
        Some(from) => resume(args, &file, from.as_deref(), Some(&*show), &hash)
            .map_err(|e| problems.push(e))
            .ok()
            .map(|(begin, mut said)| {
                warnings.append(&mut said);
                begin
            }),
        None => fresh(args, problems),
    }?;
    Some(Started {
        title: loaded.title,
        single: true,
        rooms: vec![RoomRun {
            id,
            name,
            file,
            show,
            hash,
            begin,
        }],
        organiser: None,
        run_dir: None,
    })
}

/// Several rooms: a token each (drawn now, or the journals'), the organiser's, one run directory.
fn event_begin(
    args: &RunArgs,
    loaded: Loaded,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) -> Option<Started> {
    if args.token.is_some() {
        problems.push(Problem::TokenWithRooms);
    }
    let given_organiser = match args.organiser_token.as_deref().map(long_token) {
        Some(Some(token)) => Some(token),
        Some(None) => {
            problems.push(Problem::ShortOrganiserToken);
            None
        }
        None => None,
    };
    let mut rooms = Vec::new();
    let (run_dir, organiser) = match &args.resume {
        Some(from) => {
            let ids: Vec<&str> = loaded.rooms.iter().map(|r| r.0.as_str()).collect();
            let run = match from {
                Some(dir) => Some(dir.clone()),
                None => journal::newest_unfinished_run(Path::new(RUNS_DIR), &loaded.stem, &ids)
                    .map_err(|e| problems.push(Problem::Resume(e)))
                    .ok()
                    .map(|(run, why)| {
                        warnings.push(why);
                        run
                    }),
            }?;
            let mut organiser = None;
            for (id, name, file, show, hash) in loaded.rooms {
                let path = journal::room_journal(&run, &id);
                let recorded = match journal::read(&path) {
                    Ok(r) => r,
                    Err(e) => {
                        problems.push(Problem::RoomJournal {
                            run: run.clone(),
                            id,
                            why: e.to_string(),
                        });
                        continue;
                    }
                };
                // A file this run wrote back (--write-back) is the same show, edited.
                if let Err(e) = recorded
                    .header
                    .check_same_show(&recorded.path, &show, &hash)
                    .or_else(|e| {
                        if recorded.written_back(&show) {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
                {
                    problems.push(Problem::Resume(e));
                    continue;
                }
                if organiser.is_none() {
                    organiser = recorded.header.organiser_token.clone().map(Token::new);
                }
                rooms.push(RoomRun {
                    id,
                    name,
                    file,
                    show,
                    hash,
                    begin: Begin::Resume {
                        recorded: Box::new(recorded),
                        why: None,
                    },
                });
            }
            if args.speed.is_some() || args.organiser_token.is_some() {
                warnings.push(
                    "resuming keeps the journals' speed and tokens; --speed and \
                     --organiser-token are ignored"
                        .into(),
                );
            }
            (RunDir::Resumed(run), organiser)
        }
        None => {
            let run_dir = match &args.journal {
                Some(dir) => new_journal_file(dir)
                    .map_err(|e| problems.push(e))
                    .ok()
                    .map(|()| RunDir::Given(dir.clone())),
                None => writable_dir(Path::new(RUNS_DIR))
                    .map_err(|why| {
                        problems.push(Problem::JournalDir {
                            flag: "the journal directory",
                            path: PathBuf::from(RUNS_DIR),
                            why: format!("{why}; run podium where it may write, or give --journal"),
                        })
                    })
                    .ok()
                    .map(|()| RunDir::Default {
                        dir: PathBuf::from(RUNS_DIR),
                        stem: loaded.stem.clone(),
                    }),
            }?;
            for (id, name, file, show, hash) in loaded.rooms {
                let token = Token::generate()
                    .map_err(|e| problems.push(Problem::Random(e.to_string())))
                    .ok()?;
                rooms.push(RoomRun {
                    id,
                    name,
                    file,
                    show,
                    hash,
                    begin: Begin::Fresh {
                        token,
                        speed: args.speed.unwrap_or(1.0),
                        rehearsal: args.rehearsal,
                        journal: JournalPlace::InRun,
                    },
                });
            }
            (run_dir, None)
        }
    };
    let organiser = match given_organiser
        .filter(|_| args.resume.is_none())
        .or(organiser)
    {
        Some(t) => t,
        None => Token::generate()
            .map_err(|e| problems.push(Problem::Random(e.to_string())))
            .ok()?,
    };
    Some(Started {
        title: loaded.title,
        single: false,
        rooms,
        organiser: Some(organiser),
        run_dir: Some(run_dir),
    })
}

/// Reads and validates the session file; its hash is of the bytes read, so a resume compares the
/// file as it was loaded.
fn load(file: &Path) -> Result<(Show, String), LoadError> {
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Read {
        path: file.to_owned(),
        source,
    })?;
    let show = show::load_str(file, &text)?;
    Ok((show, journal::content_hash(text.as_bytes())))
}

/// A given token, trimmed, if it has at least [`server::MIN_TOKEN_CHARS`] characters.
fn long_token(given: &str) -> Option<Token> {
    let trimmed = given.trim();
    (trimmed.chars().count() >= server::MIN_TOKEN_CHARS).then(|| Token::new(trimmed))
}

/// A new run: the token (given and long enough, or drawn now) and where its journal will go.
fn fresh(args: &RunArgs, problems: &mut Vec<Problem>) -> Option<Begin> {
    let token = match args.token.as_deref().map(long_token) {
        Some(Some(token)) => Some(token),
        Some(None) => {
            problems.push(Problem::ShortToken);
            None
        }
        None => Token::generate()
            .map_err(|e| problems.push(Problem::Random(e.to_string())))
            .ok(),
    };
    let journal = match &args.journal {
        Some(path) => new_journal_file(path)
            .map_err(|e| problems.push(e))
            .ok()
            .map(|()| JournalPlace::Given(path.clone())),
        None => {
            let dir = PathBuf::from(RUNS_DIR);
            writable_dir(&dir)
                .map_err(|why| {
                    problems.push(Problem::JournalDir {
                        flag: "the journal directory",
                        path: dir.clone(),
                        why: format!("{why}; run podium where it may write, or give --journal"),
                    })
                })
                .ok()
                .map(|()| JournalPlace::Default(dir))
        }
    };
    Some(Begin::Fresh {
        token: token?,
        speed: args.speed.unwrap_or(1.0),
        rehearsal: args.rehearsal,
        journal: journal?,
    })
}

/// `--journal PATH`: a file that does not exist yet, in a directory that takes files (or can be
/// created).
fn new_journal_file(path: &Path) -> Result<(), Problem> {
    if path.symlink_metadata().is_ok() {
        return Err(Problem::JournalExists(path.to_owned()));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if path.file_name().is_none() {
        return Err(Problem::JournalDir {
            flag: "--journal",
            path: path.to_owned(),
            why: "give a file name, e.g. runs/rehearsal.jsonl".into(),
        });
    }
    writable_dir(dir).map_err(|why| Problem::JournalDir {
        flag: "--journal",
        path: path.to_owned(),
        why: format!("{why}; choose another --journal"),
    })
}

/// Whether files can be made in `dir`: it is a directory that takes a file, or it does not exist
/// and its nearest existing ancestor is one (the journal creates the rest). Tried for real with a
/// file created and removed at once: permissions, read-only file systems and root all answer the
/// way the journal's own creation will.
fn writable_dir(dir: &Path) -> Result<(), String> {
    let mut existing = dir;
    let meta = loop {
        match existing.metadata() {
            Ok(meta) => break meta,
            // Missing, or under a file (which the walk up then finds).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                existing = match existing.parent() {
                    Some(up) if !up.as_os_str().is_empty() => up,
                    _ => Path::new("."),
                };
            }
            Err(e) => return Err(format!("cannot look at {}: {e}", existing.display())),
        }
    };
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", existing.display()));
    }
    let probe = existing.join(format!(".podium-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "cannot create files in {}: {e}",
            existing.display()
        )),
    }
}

/// `--resume [JOURNAL]`: the journal (given, or the newest unfinished one of this show), checked
/// against the show as loaded; with what to say about the choice and any flags it overrides.
fn resume(
    args: &RunArgs,
    file: &Path,
    from: Option<&Path>,
    show: Option<&Show>,
    hash: &str,
) -> Result<(Begin, Vec<String>), Problem> {
    let (recorded, why) = match from {
        Some(path) => (journal::read(path).map_err(Problem::Resume)?, None),
        None => {
            let chosen =
                journal::newest_unfinished(Path::new(RUNS_DIR), file).map_err(Problem::Resume)?;
            let why = chosen.explain();
            (chosen.recorded, Some(why))
        }
    };
    let header = &recorded.header;
    header
        .check_token(&recorded.path)
        .map_err(Problem::Resume)?;
    if let Some(show) = show {
        // A file this run wrote back (--write-back) is the same show, edited.
        header
            .check_same_show(&recorded.path, show, hash)
            .or_else(|e| {
                if recorded.written_back(show) {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(Problem::Resume)?;
    }
    let mut warnings = Vec::new();
    if args.speed.is_some_and(|s| s != header.speed)
        || args.token.as_deref().is_some_and(|t| t != header.token)
    {
        warnings.push(
            "resuming keeps the journal's speed and token; --speed and --token are ignored".into(),
        );
    }
    Ok((
        Begin::Resume {
            recorded: Box::new(recorded),
            why,
        },
        warnings,
    ))
}

/// Why `ip` cannot be listened on here: not a wildcard, not loopback, and not one of this
/// machine's addresses (when they are known).
fn foreign(ip: IpAddr, machine: &[IpAddr]) -> Option<String> {
    if ip.is_unspecified() || ip.is_loopback() || machine.is_empty() || machine.contains(&ip) {
        return None;
    }
    let mut own: Vec<String> = machine
        .iter()
        .filter(|a| !a.is_loopback())
        .map(IpAddr::to_string)
        .collect();
    own.dedup();
    Some(format!(
        "not an address of this machine{}; use 0.0.0.0:PORT for every interface, or \
         127.0.0.1:PORT for this machine only",
        if own.is_empty() {
            String::new()
        } else {
            format!(" (its addresses: {})", own.join(", "))
        }
    ))
}

/// `--bind`: "ADDRESS:PORT" ("127.0.0.1:8080", "[::1]:8080"), a port alone ("8080", ":8080": on
/// loopback, like the default), an address alone ("0.0.0.0": port 8080), "localhost[:PORT]"
/// (127.0.0.1, whatever the resolver says, so the printed URLs are the ones that work), or a host
/// name, resolved now. A name with several addresses listens on the first IPv4 one (the one more
/// clients reach), and the note says so.
pub(crate) fn parse_bind(s: &str) -> Result<(SocketAddr, Option<String>), String> {
    let s = s.trim();
    let hint = "write ADDRESS:PORT, e.g. 127.0.0.1:8080 (this machine only), 0.0.0.0:8080 (every \
                interface) or [::]:8080, or a port alone";
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok((addr, None));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok((SocketAddr::new(ip, DEFAULT_PORT), None));
    }
    let port_of = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("the port must be a number from 0 to 65535; {hint}"))
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let port_alone = s.strip_prefix(':').unwrap_or(s);
    if digits(port_alone) {
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port_of(port_alone)?);
        return Ok((addr, None));
    }
    let not_an_address = || format!("not an address to listen on; {hint}");
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) if digits(port) => (host, port_of(port)?),
        Some(_) => return Err(not_an_address()),
        None => (s, DEFAULT_PORT),
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/') {
        return Err(not_an_address());
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok((SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port), None));
    }
    let mut found: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?} ({e}); {hint}"))?
        .collect();
    found.dedup();
    let Some(&chosen) = found.iter().find(|a| a.is_ipv4()).or(found.first()) else {
        return Err(format!("{host:?} has no address; {hint}"));
    };
    let note = (found.len() > 1).then(|| {
        let all: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
        format!(
            "--bind {host} resolves to {}; listening on {chosen} (give an address to choose)",
            all.join(", ")
        )
    });
    Ok((chosen, note))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `podium run ARGS` as clap parses it.
    fn args(extra: &[&str]) -> RunArgs {
        let mut all = vec!["podium", "run"];
        all.extend(extra);
        match crate::cli::Cli::try_parse_from(all) {
            Ok(crate::cli::Cli {
                command: crate::cli::Cmd::Run(args),
            }) => args,
            other => panic!("not a run: {other:?}"),
        }
    }

    fn problems(extra: &[&str]) -> Vec<Problem> {
        match RunConfig::check(args(extra), &[]) {
            Ok(_) => panic!("{extra:?} is accepted"),
            Err(e) => e.problems,
        }
    }

    const SHORT: &str = "tests/sessions/short.toml";

    #[test]
    fn a_good_run_becomes_a_config() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("new/run.jsonl");
        let config = RunConfig::check(
            args(&[
                SHORT,
                "--bind",
                "8081",
                "--speed",
                "60",
                "--token",
                "a-token-long-enough",
                "--journal",
                journal.to_str().unwrap(),
            ]),
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.bind, "127.0.0.1:8081".parse().unwrap());
        match config.rooms.into_iter().next().expect("one room").begin {
            Begin::Fresh {
                token,
                speed,
                journal: place,
                ..
            } => {
                assert_eq!(token.expose(), "a-token-long-enough");
                assert_eq!(speed, 60.0);
                assert_eq!(place, JournalPlace::Given(journal.clone()));
            }
            Begin::Resume { .. } => panic!("a fresh run"),
        }
        assert!(!journal.exists() && !journal.parent().unwrap().exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing left behind"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_flag() {
        let dir = tempfile::tempdir().unwrap();
        let taken = dir.path().join("taken.jsonl");
        std::fs::write(&taken, "").unwrap();
        let found = problems(&[
            "tests/fixtures/bad_zone.toml",
            "--bind",
            "localhost:http",
            "--token",
            "short",
            "--journal",
            taken.to_str().unwrap(),
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ]);
        let text = ConfigError { problems: found }.to_string();
        assert!(
            text.starts_with("5 problems; nothing was started:"),
            "{text}"
        );
        for said in [
            "bad_zone.toml:3:12",
            "--bind \"localhost:http\": not an address to listen on; write ADDRESS:PORT",
            "--tls-cert /nonexistent/cert.pem",
            "--token must be at least 16 characters",
            "the file already exists",
        ] {
            assert!(text.contains(said), "{said}: {text}");
        }
    }

    #[test]
    fn one_problem_is_said_alone_and_is_the_users_to_fix() {
        let error = RunConfig::check(args(&[SHORT, "--token", "12345678"]), &[])
            .err()
            .expect("refused");
        assert_eq!(error.exit_status(), Status::Input);
        assert!(error.to_string().starts_with("--token must be"), "{error}");
        assert!(!error.to_string().contains("12345678"), "never echoed");
    }

    #[test]
    fn a_journal_needs_a_directory_that_takes_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "").unwrap();
        let under_a_file = file.join("runs/run.jsonl");
        let found = problems(&[SHORT, "--journal", under_a_file.to_str().unwrap()]);
        let text = found[0].to_string();
        assert!(text.starts_with("--journal "), "{text}");
        assert!(text.contains("is not a directory"), "{text}");
        // Nothing creates files in /proc, not even root.
        let found = problems(&[SHORT, "--journal", "/proc/podium-test/run.jsonl"]);
        let text = found[0].to_string();
        assert!(text.contains("cannot create files in /proc"), "{text}");
    }

    #[test]
    fn a_resume_journal_that_is_missing_is_the_users_to_fix() {
        let found = problems(&[SHORT, "--resume", "/nonexistent/run.jsonl"]);
        assert!(
            matches!(found.as_slice(), [Problem::Resume(_)]),
            "{found:?}"
        );
        assert_eq!(found[0].exit_status(), Status::Input);
        assert!(
            found[0]
                .to_string()
                .starts_with("--resume: /nonexistent/run.jsonl")
        );
    }

    #[test]
    fn bind_takes_addresses_ports_and_localhost() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        let bind = |s| parse_bind(s).map(|(addr, _)| addr);
        assert_eq!(bind("127.0.0.1:8080"), Ok(addr("127.0.0.1:8080")));
        assert_eq!(bind("0.0.0.0:9000"), Ok(addr("0.0.0.0:9000")));
        assert_eq!(bind("[::1]:8080"), Ok(addr("[::1]:8080")));
        assert_eq!(bind("8080"), Ok(addr("127.0.0.1:8080")));
        assert_eq!(bind(":8081"), Ok(addr("127.0.0.1:8081")));
        assert_eq!(bind("0"), Ok(addr("127.0.0.1:0")));
        assert_eq!(bind("0.0.0.0"), Ok(addr("0.0.0.0:8080")));
        assert_eq!(bind("::"), Ok(addr("[::]:8080")));
        assert_eq!(bind("localhost:8080"), Ok(addr("127.0.0.1:8080")));
        assert_eq!(bind("LocalHost"), Ok(addr("127.0.0.1:8080")));
    }

    #[test]
    fn bind_says_what_to_write() {
        for bad in [
            "99999",
            "localhost:http",
            "",
            "a b:80",
            "http://localhost:8080",
        ] {
            let why = parse_bind(bad).unwrap_err();
            assert!(why.contains("ADDRESS:PORT"), "{bad:?}: {why}");
        }
        let why = parse_bind("127.0.0.1:70000").unwrap_err();
        assert!(why.contains("0 to 65535"), "{why}");
        let why = parse_bind("no-such-host.invalid:8080").unwrap_err();
        assert!(
            why.contains("cannot resolve \"no-such-host.invalid\""),
            "{why}"
        );
    }

    #[test]
    fn bind_refuses_an_address_of_another_machine() {
        let machine: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap(), "10.1.2.3".parse().unwrap()];
        assert_eq!(foreign("10.1.2.3".parse().unwrap(), &machine), None);
        assert_eq!(foreign("0.0.0.0".parse().unwrap(), &machine), None);
        assert_eq!(foreign("::".parse().unwrap(), &machine), None);
        assert_eq!(foreign("127.0.0.2".parse().unwrap(), &machine), None);
        let why = foreign("192.0.2.7".parse().unwrap(), &machine).expect("refused");
        assert!(why.contains("(its addresses: 10.1.2.3)"), "{why}");
        assert_eq!(
            foreign("192.0.2.7".parse().unwrap(), &[]),
            None,
            "unknown: allowed"
        );
    }
}
