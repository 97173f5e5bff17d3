//! Errors from reading slurm.conf, each naming where and what.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use crate::hostlist::HostlistError;

/// A place in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file the line came from (an included file where relevant).
    pub file: PathBuf,
    /// 1-based line number of the (first physical line of the) logical line.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Why slurm.conf could not be turned into a [`super::SlurmConf`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfError {
    /// A file (the main one or an include) could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A key upstream does not know (upstream: "Parsing error at unrecognized key").
    #[error("{at}: Parsing error at unrecognized key: {key}")]
    UnknownKey {
        /// Where.
        at: Location,
        /// The key as written.
        key: String,
    },
    /// Text that is not a `key=value` pair, or text left after one
    /// (upstream: "Parse error in file X line N").
    #[error("{at}: Parse error: \"{text}\"")]
    Syntax {
        /// Where.
        at: Location,
        /// The unparsed text.
        text: String,
    },
    /// A value of the wrong form for its key.
    #[error("{at}: bad value for {key}: {reason}")]
    BadValue {
        /// Where.
        at: Location,
        /// The key (canonical spelling).
        key: String,
        /// What was wrong.
        reason: String,
    },
    /// A hostlist expression that does not parse.
    #[error("{at}: bad hostlist in {key}: {source}")]
    Hostlist {
        /// Where.
        at: Location,
        /// The key whose value it was.
        key: String,
        /// The hostlist error.
        #[source]
        source: HostlistError,
    },
    /// An `Include` whose file failed to parse.
    #[error("{at}: \"Include\" failed: {source}")]
    Include {
        /// Where the directive is.
        at: Location,
        /// The failure inside the included file.
        #[source]
        source: Box<ConfError>,
    },
    /// Includes nested deeper than [`super::MAX_INCLUDE_DEPTH`] (a loop, most likely).
    #[error("{at}: Include nested more than {max} deep")]
    IncludeTooDeep {
        /// Where the directive is.
        at: Location,
        /// The bound.
        max: usize,
    },
    /// A node named twice.
    #[error("{at}: duplicate node name {node}")]
    DuplicateNode {
        /// Where the second definition is.
        at: Location,
        /// The node.
        node: String,
    },
    /// A partition, NodeSet or DownNodes line names a node not defined by NodeName.
    #[error("{at}: {entity} references unknown node {node}")]
    UnknownNode {
        /// Where.
        at: Location,
        /// The partition, node set or line naming it.
        entity: String,
        /// The unknown node.
        node: String,
    },
    /// Neither SlurmctldHost nor ControlMachine is set.
    #[error("no SlurmctldHost (or ControlMachine) in slurm.conf")]
    NoController,
}

impl ConfError {
    pub(crate) fn bad_value(at: &Location, key: &str, reason: impl Into<String>) -> ConfError {
        ConfError::BadValue {
            at: at.clone(),
            key: key.to_string(),
            reason: reason.into(),
        }
    }
}
