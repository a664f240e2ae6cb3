//! Untrusted files are parsed in a child process: the worker binary re-executed in parse
//! mode, with an address-space limit, a CPU-time limit, a bounded stack and a wall-clock
//! deadline tied to the job's cancellation. Running out of memory or stack aborts a process
//! (neither can be caught), so a hostile file may end the child but never the worker, and
//! a file that ended its child fails alone with a message naming the limit it crossed.

use std::{
    io::{Read, Write},
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use nix::sys::resource::{Resource, setrlimit};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::{FileKind, ParseError, ParseLimits, ParsedFile, parse_file};
use crate::config::IngestSettings;

/// The first argument that turns `produck-worker` (or `produck-api`) into the parser child.
pub const CHILD_ARG: &str = "__parse-file";
/// The parse thread's stack: deep enough for any honest file, small enough that runaway
/// recursion ends quickly.
const STACK_BYTES: usize = 16 << 20;
/// What the parent keeps of the child's diagnostics.
const MAX_STDERR: usize = 64 << 10;
/// How often the parent looks at the cancel flag and the deadline.
const POLL: Duration = Duration::from_millis(100);

/// Why a sandboxed parse gave no items.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The file is at fault: fail it, never retry it.
    #[error("{0}")]
    File(ParseError),
    /// The machine is at fault (no parser binary, no process could be started): retry.
    #[error("{0}")]
    Unavailable(String),
    /// The job was cancelled (timed out or taken over); the child was killed.
    #[error("parsing was stopped: the job was cancelled")]
    Cancelled,
}

/// How to start the parser child, and its limits.
#[derive(Debug, Clone)]
pub struct Sandbox {
    program: PathBuf,
    memory_mb: u64,
    cpu_secs: u64,
    timeout: Duration,
}

impl Sandbox {
    pub fn from_settings(settings: &IngestSettings) -> Result<Self, SandboxError> {
        Ok(Self {
            program: parser_program(settings.parser_binary.as_deref())
                .map_err(SandboxError::Unavailable)?,
            memory_mb: settings.parser_memory_mb,
            cpu_secs: settings.parser_cpu_secs,
            timeout: Duration::from_secs(settings.parser_timeout_secs),
        })
    }

    /// Parses `bytes` in a fresh child process within the limits; kills the child when
    /// `limits.cancel` is raised or the deadline passes.
    pub async fn parse(
        &self,
        kind: FileKind,
        bytes: Vec<u8>,
        limits: &ParseLimits,
    ) -> Result<ParsedFile, SandboxError> {
        let mut child = tokio::process::Command::new(&self.program)
            .arg(CHILD_ARG)
            .args([
                kind.as_str().to_owned(),
                limits.max_items.to_string(),
                limits.max_pdf_inflated_bytes.to_string(),
                self.memory_mb.to_string(),
                self.cpu_secs.to_string(),
            ])
            // One malloc arena: each extra arena reserves 64 MB of the address space.
            .env("MALLOC_ARENA_MAX", "1")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                SandboxError::Unavailable(format!(
                    "the file parser {} could not be started: {e}",
                    self.program.display()
                ))
            })?;
        let mut stdin = child.stdin.take().ok_or_else(|| {
            SandboxError::Unavailable("the file parser's input could not be opened".into())
        })?;
        // A child that dies early closes its end; the write error that follows says nothing
        // the exit status does not.
        let feeder = tokio::spawn(async move {
            let _ = stdin.write_all(&bytes).await;
        });
        let out_cap = (self.memory_mb as usize) << 20;
        let stdout = tokio::spawn(read_capped(child.stdout.take(), out_cap));
        let stderr = tokio::spawn(read_capped(child.stderr.take(), MAX_STDERR));

        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match tokio::time::timeout(POLL, child.wait()).await {
                Ok(status) => break Some(status),
                Err(_) if limits.cancel.is_cancelled() => {
                    let _ = child.kill().await;
                    feeder.abort();
                    return Err(SandboxError::Cancelled);
                }
                Err(_) if Instant::now() >= deadline => {
                    let _ = child.kill().await;
                    break None;
                }
                Err(_) => {}
            }
        };
        feeder.abort();
        let (out, out_truncated) = stdout.await.unwrap_or_default();
        let (err, _) = stderr.await.unwrap_or_default();
        let unsafe_file = |why: String| {
            SandboxError::File(ParseError::new(format!(
                "this {} could not be read safely: {why}",
                kind.label()
            )))
        };
        let Some(status) = status else {
            return Err(unsafe_file(format!(
                "it takes longer than {} s to open",
                self.timeout.as_secs()
            )));
        };
        let status = status
            .map_err(|e| SandboxError::Unavailable(format!("waiting for the file parser: {e}")))?;
        if !status.success() {
            let diagnostics = String::from_utf8_lossy(&err);
            tracing::warn!(kind = kind.as_str(), ?status, diagnostics = %diagnostics.trim(), "the parser child failed");
            return Err(unsafe_file(self.crash_reason(status, &diagnostics)));
        }
        if out_truncated {
            return Err(unsafe_file(format!(
                "its contents exceed {} MB once read",
                self.memory_mb
            )));
        }
        let outcome: Result<ParsedFile, String> = serde_json::from_slice(&out).map_err(|e| {
            SandboxError::Unavailable(format!("the file parser's answer was unreadable: {e}"))
        })?;
        outcome.map_err(|e| SandboxError::File(ParseError::new(e)))
    }

    fn crash_reason(&self, status: std::process::ExitStatus, diagnostics: &str) -> String {
        if diagnostics.contains("memory allocation of") || diagnostics.contains("out of memory") {
            return format!("it needs more than {} MB to open", self.memory_mb);
        }
        if diagnostics.contains("overflowed its stack") {
            return "its structure nests too deeply (or refers to itself)".to_owned();
        }
        match status.signal() {
            Some(s) if s == nix::sys::signal::Signal::SIGXCPU as i32 => format!(
                "it needs more than {} s of processor time to open",
                self.cpu_secs
            ),
            Some(s) if s == nix::sys::signal::Signal::SIGSEGV as i32 => {
                "its structure nests too deeply (or refers to itself)".to_owned()
            }
            Some(s) => format!("the parser stopped on it (signal {s})"),
            None => format!(
                "the parser stopped on it (exit code {})",
                status.code().unwrap_or(-1)
            ),
        }
    }
}

async fn read_capped<R: AsyncRead + Unpin>(from: Option<R>, cap: usize) -> (Vec<u8>, bool) {
    let Some(from) = from else {
        return (Vec::new(), false);
    };
    let mut buf = Vec::new();
    let mut limited = from.take(cap as u64 + 1);
    let _ = limited.read_to_end(&mut buf).await;
    let truncated = buf.len() > cap;
    buf.truncate(cap);
    (buf, truncated)
}

/// The executable to run in parse mode: the configured one, the running ProduckAI binary,
/// or a `produck-worker` beside the running program (tests and benches run from `deps/`).
fn parser_program(configured: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = configured {
        return if path.is_file() {
            Ok(path.to_owned())
        } else {
            Err(format!(
                "ingest.parser_binary {} does not exist",
                path.display()
            ))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("locating this program: {e}"))?;
    let is_ours = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n == "produck-worker" || n == "produck-api")
    };
    if is_ours(&exe) {
        return Ok(exe);
    }
    let dirs = [exe.parent(), exe.parent().and_then(Path::parent)];
    dirs.into_iter()
        .flatten()
        .flat_map(|dir| ["produck-worker", "produck-api"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            "no file parser: set ingest.parser_binary to the produck-worker binary".to_owned()
        })
}

/// How both binaries start: as the parser child when started as one (before any runtime or
/// thread exists: the child runs nothing else), else `serve` with TLS ready.
pub fn start(serve: fn()) {
    run_child_if_requested();
    crate::ai::init_crypto();
    serve();
}

/// Runs the parser child when this process was started as one (`<binary> __parse-file
/// ...`), and exits; returns at once otherwise.
fn run_child_if_requested() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some(CHILD_ARG) {
        return;
    }
    let code = match child(&args.collect::<Vec<_>>()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("parser child: {e}");
            70
        }
    };
    std::process::exit(code);
}

fn child(args: &[String]) -> Result<(), String> {
    let [kind, max_items, max_inflated, memory_mb, cpu_secs] = args else {
        return Err(format!(
            "usage: {CHILD_ARG} KIND MAX_ITEMS MAX_INFLATED MEMORY_MB CPU_SECS"
        ));
    };
    let number = |s: &String| s.parse::<u64>().map_err(|e| format!("{s}: {e}"));
    let kind = FileKind::from_name(kind).ok_or_else(|| format!("unknown kind {kind}"))?;
    let limits = ParseLimits {
        max_items: number(max_items)? as usize,
        max_pdf_inflated_bytes: number(max_inflated)? as usize,
        cancel: crate::jobs::CancelFlag::new(),
    };
    let (memory, cpu) = (number(memory_mb)? << 20, number(cpu_secs)?);
    let limit = |resource, soft, hard| {
        setrlimit(resource, soft, hard).map_err(|e| format!("setrlimit {resource:?}: {e}"))
    };
    limit(Resource::RLIMIT_AS, memory, memory)?;
    limit(Resource::RLIMIT_CPU, cpu, cpu + 5)?;
    limit(Resource::RLIMIT_CORE, 0, 0)?;

    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading the file: {e}"))?;
    let outcome = std::thread::Builder::new()
        .name("parse".into())
        .stack_size(STACK_BYTES)
        .spawn(move || parse_file(kind, &bytes, &limits).map_err(|e| e.0))
        .map_err(|e| format!("starting the parse thread: {e}"))?
        .join()
        .unwrap_or_else(|_| Err("the file is damaged and could not be read".to_owned()));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &outcome).map_err(|e| format!("writing the result: {e}"))?;
    out.flush().map_err(|e| format!("writing the result: {e}"))
}
