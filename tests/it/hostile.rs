//! Hostile files through the upload API with a real worker process: each fails alone with a
//! message naming the limit it crossed, the good file beside it is ingested, and the worker
//! is the same process afterwards with a bounded peak RSS (parsing runs in a child).

use std::time::Duration;

use shared::jobs::kinds;

use crate::{
    files::{self, hostile},
    harness::TestApp,
};

/// The parser child's address-space limit in these tests.
const PARSER_MEMORY_MB: &str = "512";
/// The worker's own peak, parsing nothing itself (the debug binary idles near 40 MB).
const WORKER_PEAK_RSS_MB: u64 = 300;

#[tokio::test]
async fn hostile_files_fail_alone_and_never_take_the_worker_down() {
    let app = TestApp::builder()
        .env("PRODUCK__INGEST__PARSER_MEMORY_MB", PARSER_MEMORY_MB)
        .spawn()
        .await;
    let mut worker = app.worker_process(
        &[kinds::PROCESS_FILE],
        &[("PRODUCK__INGEST__PARSER_MEMORY_MB", PARSER_MEMORY_MB)],
    );
    let pid = worker.pid();

    let mb = 1 << 20;
    let uploads = app
        .upload_async(vec![
            (
                "good.pdf",
                files::pdf(&["The export to spreadsheet times out on large reports."]),
            ),
            ("self-drawing.pdf", hostile::self_drawing_form()),
            (
                "repeated-contents.pdf",
                hostile::repeated_contents(4 * mb, 300),
            ),
            ("double-flate.pdf", hostile::double_flate(1024 * mb)),
            ("ascii85-flate.pdf", hostile::ascii85_then_flate(1024 * mb)),
            (
                "escaped-filter.pdf",
                hostile::escaped_filter_name(1024 * mb),
            ),
            ("wide-header.csv", hostile::wide_header_csv(1000, 1000, 600)),
        ])
        .await;
    let mut outcomes = std::collections::BTreeMap::new();
    for (name, job) in &uploads {
        let done = app.wait_job(*job, Duration::from_secs(240)).await;
        outcomes.insert(name.clone(), done);
    }
    let peak_mb = worker.peak_rss_kb() / 1024;
    println!("worker peak RSS after the hostile files: {peak_mb} MB");
    for (name, done) in &outcomes {
        println!("{name}: {} {:?}", done.status, done.error);
    }

    assert_eq!(
        outcomes["good.pdf"].status, "completed",
        "{:?}",
        outcomes["good.pdf"]
    );
    // Wide headers are bounded in the parser itself: the file is read, its meta is not
    // a copy of the header per row.
    assert_eq!(outcomes["wide-header.csv"].status, "completed");
    let message = |name: &str| {
        let done = &outcomes[name];
        assert_eq!(done.status, "failed", "{name}: {done:?}");
        assert_eq!(done.attempts, 1, "{name} is never retried: {done:?}");
        done.error.clone().unwrap_or_default()
    };
    let m = message("self-drawing.pdf");
    assert!(
        m.contains("this PDF could not be read safely: its structure nests too deeply"),
        "{m}"
    );
    // The size check now sees through these shapes and names them as bombs.
    for name in [
        "repeated-contents.pdf",
        "double-flate.pdf",
        "escaped-filter.pdf",
    ] {
        let m = message(name);
        assert!(m.contains("possible decompression bomb"), "{name}: {m}");
    }
    // A filter chain the check cannot follow meets the child's memory limit instead.
    let m = message("ascii85-flate.pdf");
    assert!(
        m.contains("this PDF could not be read safely: it needs more than 512 MB to open"),
        "{m}"
    );

    assert!(worker.is_running(), "the worker process survived");
    assert_eq!(worker.pid(), pid);
    assert!(
        peak_mb < WORKER_PEAK_RSS_MB,
        "the worker's peak RSS stayed under {WORKER_PEAK_RSS_MB} MB: {peak_mb} MB"
    );
    let stored = |sql: &'static str| {
        let db = app.db();
        async move {
            use sea_orm::ConnectionTrait;
            db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                sql,
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
        }
    };
    assert_eq!(
        stored("SELECT count(*) FROM feedback WHERE text LIKE '%spreadsheet times out%'").await,
        1,
        "the good file's item is stored"
    );
    assert_eq!(
        stored("SELECT count(*) FROM feedback WHERE text LIKE 'row % says%'").await,
        600
    );
    assert_eq!(
        stored(
            "SELECT max((SELECT count(*) FROM jsonb_object_keys(meta->'columns'))) FROM feedback"
        )
        .await,
        32,
        "each row keeps at most 32 other columns"
    );
}
