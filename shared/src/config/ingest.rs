//! Uploads, pushes and the parser process.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ConfigError, fail_if};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    /// Files one upload request may carry.
    pub max_files_per_upload: usize,
    /// Largest single uploaded file, in bytes (413 while it streams in).
    pub max_file_bytes: usize,
    /// Largest whole upload request, all files together, in bytes.
    pub max_upload_bytes: usize,
    /// Time limit of one upload request, streaming included (seconds); must exceed
    /// `jobs.sync_wait_secs` by 5.
    pub upload_timeout_secs: u64,
    /// Feedback items one file may hold; a larger file fails with a clear message.
    pub max_items_per_file: usize,
    /// Bytes a PDF's compressed streams may inflate to before the file is refused.
    pub max_pdf_inflated_bytes: usize,
    /// Keep uploaded files in the database after processing.
    pub keep_uploaded_files: bool,
    /// Feedback items embedded per model call (1 to 1 024).
    pub embed_batch_size: usize,
    /// Items one `POST /feedback` may push.
    pub max_push_items: usize,
    /// The child process that parses untrusted files: its address-space limit, CPU time,
    /// wall-clock deadline, and (optionally) which executable to run in parse mode.
    pub parser_memory_mb: u64,
    /// CPU time the parser child may use per file (seconds).
    pub parser_cpu_secs: u64,
    /// Wall-clock deadline of the parser child per file (seconds).
    pub parser_timeout_secs: u64,
    /// The executable run in parse mode; unset: the running binary, or a `produck-worker`
    /// beside it.
    #[serde(default)]
    pub parser_binary: Option<std::path::PathBuf>,
}

impl IngestSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        fail_if(
            self.max_files_per_upload == 0 || self.max_file_bytes == 0,
            "ingest.max_files_per_upload",
            "max_files_per_upload and max_file_bytes must be at least 1",
        )?;
        fail_if(
            self.max_upload_bytes < self.max_file_bytes,
            "ingest.max_upload_bytes",
            "must be at least ingest.max_file_bytes",
        )?;
        fail_if(
            self.max_items_per_file == 0 || self.max_pdf_inflated_bytes == 0,
            "ingest.max_items_per_file",
            "max_items_per_file and max_pdf_inflated_bytes must be at least 1",
        )?;
        fail_if(
            !(64..=65_536).contains(&self.parser_memory_mb),
            "ingest.parser_memory_mb",
            "must be between 64 and 65536",
        )?;
        fail_if(
            self.parser_cpu_secs == 0 || self.parser_timeout_secs == 0,
            "ingest.parser_timeout_secs",
            "parser_cpu_secs and parser_timeout_secs must be at least 1",
        )?;
        fail_if(
            !(1..=1024).contains(&self.embed_batch_size),
            "ingest.embed_batch_size",
            "must be between 1 and 1024",
        )?;
        Ok(())
    }
}
