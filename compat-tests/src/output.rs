//! The result of running one client command.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The command line as given (for goldens and failure messages).
    pub command: String,
    /// The user the command ran as (`root` unless `run_as`).
    pub user: String,
    pub stdout: String,
    pub stderr: String,
    /// Exit code; -1 if killed by a signal.
    pub exit_code: i32,
}

impl Output {
    /// Panics with the full output unless the command exited 0.
    pub fn ok(self) -> Output {
        assert_eq!(self.exit_code, 0, "command failed:\n{self}");
        self
    }

    /// Stdout without trailing whitespace, e.g. the job id of `sbatch --parsable`.
    pub fn trimmed(&self) -> &str {
        self.stdout.trim()
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}  (as {})", self.command, self.user)?;
        writeln!(f, "exit: {}", self.exit_code)?;
        writeln!(f, "--- stdout\n{}", self.stdout)?;
        write!(f, "--- stderr\n{}", self.stderr)
    }
}
