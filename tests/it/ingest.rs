use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use shared::{auth::Role, jobs::status};
use worker::JobRegistry;

use crate::{
    files,
    harness::{TestApp, assert_mentions, invalid_at, problem},
};

async fn app() -> TestApp {
    TestApp::with_worker().await
}

fn form(files: Vec<(&str, Vec<u8>)>) -> Form {
    files.into_iter().fold(Form::new(), |f, (name, bytes)| {
        f.part("files", Part::bytes(bytes).file_name(name.to_owned()))
    })
}

async fn upload(app: &TestApp, files: Vec<(&str, Vec<u8>)>) -> reqwest::Response {
    app.upload(files).await
}

async fn all_feedback(app: &TestApp, token: &str) -> Vec<Value> {
    app.get("/feedback?limit=500", token)
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap()
}

#[tokio::test]
async fn demo_ingestion_loads_every_source_once() {
    let app = app().await;
    let mut total = 0;
    for (path, expect) in [
        ("/ingest/slack", "Slack messages"),
        ("/ingest/jira", "Jira issues"),
        ("/ingest/gdocs", "Google Docs chunks"),
        ("/ingest/zoom", "Zoom transcript chunks"),
    ] {
        let body: Value = app.post(path, &app.admin_token).await.json().await.unwrap();
        assert_eq!(body["status"], "completed", "{body}");
        assert!(
            body["message"].as_str().unwrap().ends_with(expect),
            "{body}"
        );
        total += body["count"].as_u64().unwrap();
    }
    assert!(total >= 60, "{total}");
    // Running it again adds nothing.
    let again: Value = app.post_body("/ingest/slack", &app.admin_token).await;
    assert_eq!(again["created"], 0);
    let summary: Value = app
        .get_body("/ingest/sources/summary", &app.admin_token)
        .await;
    assert_eq!(summary["total_count"], total);
    assert_eq!(summary["sources"].as_array().unwrap().len(), 4);

    let items = all_feedback(&app, &app.admin_token).await;
    assert_eq!(items.len() as u64, total);
    // Personal data in the demo text is redacted before storage.
    let acme_security = items
        .iter()
        .find(|f| f["text"].as_str().unwrap().contains("SCIM provisioning;"))
        .unwrap();
    assert_mentions(&acme_security["text"], "[EMAIL] or [PHONE]");
    // Zoom chunks know their speakers and times.
    let zoom = items.iter().find(|f| f["source"] == "zoom").unwrap();
    assert!(zoom["speaker"].is_string() && zoom["started_at"].is_string());

    let customers: Vec<Value> = app.get_body("/customers/all", &app.admin_token).await;
    let northwind = customers
        .iter()
        .find(|c| c["name"] == "Northwind Logistics")
        .unwrap();
    assert_eq!(northwind["segment"], "ENT");
    assert_eq!(
        customers
            .iter()
            .find(|c| c["name"] == "Tiny Tails Vet")
            .unwrap()["segment"],
        "SMB"
    );

    // Every item gets a local MiniLM embedding.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let items = all_feedback(&app, &app.admin_token).await;
        if items
            .iter()
            .all(|f| f["embedding_model"] == "all-MiniLM-L6-v2")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "feedback was not embedded in time"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn live_mode_without_a_connection_is_a_clear_400() {
    let app = app().await;
    let res = app
        .post_json("/ingest/slack", &app.admin_token, &json!({"mode": "live"}))
        .await;
    let body = problem(res, 400, "not_connected").await;
    assert_mentions(&body["detail"], "PUT /integrations/slack");
    let res = app
        .post_json("/ingest/jira", &app.admin_token, &json!({"mode": "live"}))
        .await;
    let body = problem(res, 400, "not_connected").await;
    assert_mentions(&body["detail"], "PUT /integrations/jira");
    let res = app
        .post_json(
            "/ingest/zoom",
            &app.admin_token,
            &json!({"mode": "sometimes"}),
        )
        .await;
    problem(res, 422, "validation_failed").await;
    let viewer = app.member_token("v@example.com", Role::Viewer).await;
    problem(
        app.http
            .post(app.url("/ingest/jira"))
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn every_format_uploads_and_bad_files_fail_alone() {
    let app = app().await;
    let csv = "\u{feff}Company Name,ARR,Company Contact,Feedback,Date\n\
               Acme Corp,\"$250,000\",jo@acme.example,Exports time out on big reports,2026-10-01\n\
               Tiny Co,12k,,,\n\
               Globex,75k,,Search misses obvious matches,\n";
    let md = "# Interview\n\nIntro line here.\n\n## Exports\nThey time out on big reports.\n";
    let res = upload(
        &app,
        vec![
            ("feedback.csv", csv.as_bytes().to_vec()),
            (
                "notes.pdf",
                files::pdf(&[
                    "The dashboard is slow every morning.",
                    "We need SSO with Okta before rollout.",
                ]),
            ),
            (
                "notes.docx",
                files::docx(&[
                    "Dark mode please, our night shift needs it.",
                    "Bulk import from spreadsheets.",
                ]),
            ),
            (
                "notes.txt",
                b"one feedback per line\nanother line of feedback\n".to_vec(),
            ),
            ("interview.md", md.as_bytes().to_vec()),
            ("call.vtt", files::VTT.as_bytes().to_vec()),
            ("call.srt", files::SRT.as_bytes().to_vec()),
            ("truncated.pdf", files::pdf(&["cut off"])[..60].to_vec()),
            ("bomb.docx", files::docx_bomb()),
            ("garbage.csv", vec![0u8, 159, 146, 150, 0, 1, 2, 3]),
            ("notext.csv", b"name,score\nA,1\n".to_vec()),
        ][..10]
            .to_vec(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["total_files"], 10, "{body}");
    assert_eq!(body["successful_files"], 7, "{body}");
    assert_eq!(body["failed_files"], 3, "{body}");
    let errors = body["errors"].as_array().unwrap();
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|e| e["filename"] == name)
            .map(|e| e["error"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(error_of("truncated.pdf").contains("PDF"), "{errors:?}");
    assert!(error_of("bomb.docx").contains("zip bomb"), "{errors:?}");
    assert!(error_of("garbage.csv").contains("binary"), "{errors:?}");
    // 2 csv + 2 pdf + 2 docx + 2 txt + 2 md + 2 vtt + 1 srt
    assert_eq!(body["total_feedback_items"], 13, "{body}");

    let items = all_feedback(&app, &app.admin_token).await;
    assert_eq!(items.len(), 13);
    let acme = items
        .iter()
        .find(|f| f["text"] == "Exports time out on big reports")
        .unwrap();
    assert_eq!(acme["account"], "Acme Corp");
    assert_eq!(acme["created_at"], "2026-10-01T00:00:00Z");
    let vtt = items
        .iter()
        .filter(|f| f["meta"]["filename"] == "call.vtt")
        .collect::<Vec<_>>();
    assert_eq!(vtt.len(), 2, "two 90-second chunks");
    assert_eq!(
        vtt.iter()
            .find(|f| f["text"].as_str().unwrap().contains("SAML"))
            .unwrap()["speaker"],
        "Dana Cruz"
    );
    let customers: Vec<Value> = app.get_body("/customers/all", &app.admin_token).await;
    let acme_c = customers.iter().find(|c| c["name"] == "Acme Corp").unwrap();
    assert_eq!(
        (
            acme_c["acv"].as_f64().unwrap(),
            acme_c["segment"].as_str().unwrap()
        ),
        (250_000.0, "ENT")
    );
    assert_eq!(acme_c["email_domain"], "acme.example");
    assert_eq!(
        customers.iter().find(|c| c["name"] == "Globex").unwrap()["segment"],
        "MM"
    );

    // A CSV without a text column and refused formats are per-file errors too.
    let res = upload(
        &app,
        vec![
            ("notext.csv", b"name,score\nA,1\n".to_vec()),
            ("old.doc", vec![0xD0, 0xCF, 0x11, 0xE0]),
            ("bad.csv", b"feedback\nbad \xff byte\n".to_vec()),
        ],
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["failed_files"], 3, "{body}");
    assert_eq!(body["message"], "All files failed to process");
    let errs = body["errors"].to_string();
    assert!(
        errs.contains("no feedback text column")
            && errs.contains("save as .docx")
            && errs.contains("UTF-8"),
        "{errs}"
    );
    assert_eq!(
        all_feedback(&app, &app.admin_token).await.len(),
        13,
        "failed files leave no rows"
    );
}

#[tokio::test]
async fn re_uploading_a_file_updates_instead_of_duplicating() {
    let app = app().await;
    let csv = b"feedback,customer\nSearch is slow,Initech\nExports fail,Initech\n".to_vec();
    for _ in 0..2 {
        let body: Value = upload(&app, vec![("f.csv", csv.clone())])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["successful_files"], 1);
    }
    assert_eq!(all_feedback(&app, &app.admin_token).await.len(), 2);
}

#[tokio::test]
async fn upload_limits_answer_413() {
    let app = TestApp::builder()
        .env("PRODUCK__INGEST__MAX_FILE_BYTES", "1000")
        .env("PRODUCK__INGEST__MAX_FILES_PER_UPLOAD", "2")
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    let big = vec![b'a'; 1001];
    problem(
        upload(&app, vec![("big.txt", big)]).await,
        413,
        "payload_too_large",
    )
    .await;
    let three = vec![
        ("a.txt", b"one".to_vec()),
        ("b.txt", b"two".to_vec()),
        ("c.txt", b"three".to_vec()),
    ];
    problem(upload(&app, three).await, 413, "payload_too_large").await;
    assert!(all_feedback(&app, &app.admin_token).await.is_empty());
    let formats: Value = app
        .get_body("/upload/upload/supported-formats", &app.admin_token)
        .await;
    assert_eq!(formats["max_files_per_upload"], 2);
    assert!(
        formats["supported_formats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["format"] == "VTT")
    );
    let none = app
        .http
        .post(app.url("/upload/upload-feedback"))
        .bearer_auth(&app.admin_token)
        .multipart(Form::new().text("x", "y"))
        .send()
        .await
        .unwrap();
    problem(none, 422, "validation_failed").await;
}

#[tokio::test]
async fn prefer_respond_async_returns_202_and_a_job_to_poll() {
    let app = app().await;
    let res = app
        .http
        .post(app.url("/upload/upload-feedback"))
        .bearer_auth(&app.admin_token)
        .header("prefer", "respond-async")
        .multipart(form(vec![(
            "a.txt",
            b"Please add dark mode\n\nExports time out".to_vec(),
        )]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "accepted");
    let job_id: uuid::Uuid = body["files"][0]["job_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(location, format!("/jobs/{job_id}"));
    let job = app.wait_job(job_id, Duration::from_secs(20)).await;
    assert_eq!(job.status, status::COMPLETED);
    assert_eq!(job.result.unwrap()["items"], 2);
}

#[tokio::test]
async fn feedback_is_scoped_and_validated() {
    let app = app().await;
    upload(&app, vec![("a.txt", b"The export times out".to_vec())]).await;
    let (_, other) = app.other_workspace().await;
    assert!(all_feedback(&app, &other).await.is_empty());
    let mine = all_feedback(&app, &app.admin_token).await;
    let id = mine[0]["id"].as_str().unwrap();
    problem(
        app.get(&format!("/feedback/{id}"), &other).await,
        404,
        "not_found",
    )
    .await;
    let del = app.delete(&format!("/feedback/{id}"), &other).await;
    problem(del, 404, "not_found").await;
    assert_eq!(
        app.get(&format!("/feedback/{id}"), &app.admin_token)
            .await
            .status(),
        200
    );
    let viewer = app.member_token("viewer@example.com", Role::Viewer).await;
    let del = app.delete(&format!("/feedback/{id}"), &viewer).await;
    problem(del, 403, "forbidden").await;
    let del = app
        .delete(&format!("/feedback/{id}"), &app.admin_token)
        .await;
    assert_eq!(del.status(), 204);
    invalid_at(
        app.get("/feedback?source=carrier-pigeon", &app.admin_token)
            .await,
        json!(["query", "source"]),
    )
    .await;
    problem(
        app.get("/feedback?limit=501", &app.admin_token).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        app.get("/feedback?source=zoom_transcript", &app.admin_token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn documents_group_chunks() {
    let app = app().await;
    app.http
        .post(app.url("/ingest/gdocs"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    let docs: Vec<Value> = app
        .get_body("/feedback/documents?source=gdoc", &app.admin_token)
        .await;
    assert_eq!(docs.len(), 3);
    let qbr = docs
        .iter()
        .find(|d| d["document_id"] == "gdoc-qbr-helios")
        .unwrap();
    assert_eq!(qbr["title"], "Helios Energy quarterly business review");
    assert_eq!(qbr["chunk_count"], 6);
    assert!(
        qbr["summary"]
            .as_str()
            .unwrap()
            .ends_with("[+1 more statements]"),
        "{qbr}"
    );
    let page: Vec<Value> = app
        .get_body("/feedback/documents?limit=1&offset=1", &app.admin_token)
        .await;
    assert_eq!(page.len(), 1);
}

#[tokio::test]
async fn customers_are_managed_with_derived_segments() {
    let app = app().await;
    let res = app
        .post_json(
            "/customers",
            &app.admin_token,
            &json!({"name": "Acme Corp", "acv": 120000}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let acme: Value = res.json().await.unwrap();
    assert_eq!(
        (acme["segment"].as_str(), acme["segment_source"].as_str()),
        (Some("MM"), Some("derived"))
    );
    problem(
        app.post_json(
            "/customers",
            &app.admin_token,
            &json!({"name": "acme corp."}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    let id = acme["id"].as_str().unwrap();
    let patched: Value = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/customers/{id}"),
            &app.admin_token,
            &json!({"acv": 300000}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["segment"], "ENT");
    let locked: Value = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/customers/{id}"),
            &app.admin_token,
            &json!({"segment": "SMB"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            locked["segment"].as_str(),
            locked["segment_source"].as_str()
        ),
        (Some("SMB"), Some("explicit"))
    );
    let still: Value = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/customers/{id}"),
            &app.admin_token,
            &json!({"acv": 900000}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["segment"], "SMB", "an explicit segment is kept");
    let back: Value = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/customers/{id}"),
            &app.admin_token,
            &json!({"segment": null}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back["segment"], "ENT");
    let bad = app
        .post_json(
            "/customers",
            &app.admin_token,
            &json!({"name": "X", "segment": "HUGE"}),
        )
        .await;
    problem(bad, 422, "validation_failed").await;
    let (_, other) = app.other_workspace().await;
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/customers/{id}"),
            &other,
            &json!({"acv": 1}),
        )
        .await;
    problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn concurrent_uploads_naming_the_same_new_customers_share_one_row_each() {
    let mut app = app().await;
    app.add_worker();
    let names = ["Initech", "Umbrella Corp", "Stark Industries"];
    let files: Vec<Vec<u8>> = (0..8)
        .map(|i| {
            let mut csv = String::from("customer,feedback,acv\n");
            for (n, name) in names.iter().enumerate() {
                csv.push_str(&format!(
                    "{name},Upload {i} item {n}: exports are slow,50000\n"
                ));
            }
            csv.into_bytes()
        })
        .collect();
    let uploads = files.iter().enumerate().map(|(i, bytes)| {
        let name = format!("batch-{i}.csv");
        let app = &app;
        async move {
            let res = upload(app, vec![(&name, bytes.clone())]).await;
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    });
    for (status, body) in futures::future::join_all(uploads).await {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["successful_files"], 1, "{body}");
    }
    let customers: Value = app.get_body("/customers/all", &app.admin_token).await;
    let mut seen: Vec<&str> = customers
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    seen.sort();
    assert_eq!(seen, ["Initech", "Stark Industries", "Umbrella Corp"]);
    let feedback = all_feedback(&app, &app.admin_token).await;
    assert_eq!(feedback.len(), 24);
    assert!(
        feedback.iter().all(|f| f["customer_id"].is_string()),
        "every item is linked to its customer"
    );
}

#[tokio::test]
async fn a_pdf_bomb_fails_alone_with_a_clear_message() {
    let app = TestApp::builder()
        .env("PRODUCK__INGEST__MAX_PDF_INFLATED_BYTES", "4194304")
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    let bomb = files::pdf_bomb(64 << 20);
    assert!(bomb.len() < 200_000);
    let res = upload(
        &app,
        vec![
            ("bomb.pdf", bomb),
            ("notes.txt", b"Search misses obvious matches.".to_vec()),
        ],
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["successful_files"], 1, "{body}");
    assert_eq!(body["failed_files"], 1, "{body}");
    let error = body["errors"][0]["error"].as_str().unwrap();
    assert!(error.contains("decompression bomb"), "{error}");
}

#[tokio::test]
async fn hostile_text_files_fail_per_file_with_clear_errors() {
    let app = TestApp::builder()
        .env("PRODUCK__INGEST__MAX_ITEMS_PER_FILE", "5")
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    let many = (0..10).fold(String::from("feedback\n"), |s, i| {
        s + &format!("item {i}\n")
    });
    let mut nul = b"feedback\nfine\n".to_vec();
    nul.extend(std::iter::repeat_n(b'a', 10_000));
    nul.extend_from_slice(b"\nbad\0byte\n");
    let vtt = "WEBVTT\n\n99999999999:00:00.000 --> inf:00:05.000\nhello there\n";
    let long = format!(
        "feedback\n\"{}\"\n",
        "Dashboards take thirty seconds to load. ".repeat(120)
    );
    let res = upload(
        &app,
        vec![
            ("many.csv", many.into_bytes()),
            ("nul.csv", nul),
            ("odd.vtt", vtt.as_bytes().to_vec()),
            ("long.csv", long.into_bytes()),
        ],
    )
    .await;
    let body: Value = res.json().await.unwrap();
    let error_of = |name: &str| {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["filename"] == name)
            .map(|e| e["error"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{name} did not fail: {body}"))
    };
    assert!(error_of("many.csv").contains("more than 5"));
    assert!(error_of("nul.csv").contains("NUL"));
    assert!(error_of("odd.vtt").contains("timing"));
    assert_eq!(body["successful_files"], 1, "{body}");
    // The 4 800-character cell became several items instead of failing the file.
    let stored = all_feedback(&app, &app.admin_token).await;
    assert!(stored.len() > 1, "{}", stored.len());
}

#[tokio::test]
async fn personal_data_in_extra_columns_is_redacted_too() {
    let app = app().await;
    let csv = "feedback,notes,Reporter Email\n\
               Exports time out,call jane.roe@example.com or (555) 123-4567,jane.roe@example.com\n";
    let res = upload(&app, vec![("pii.csv", csv.as_bytes().to_vec())]).await;
    assert_eq!(res.status(), 200);
    let stored = all_feedback(&app, &app.admin_token).await;
    let meta = stored[0]["meta"].to_string();
    assert!(!meta.contains("jane.roe@example.com"), "{meta}");
    assert!(!meta.contains("123-4567"), "{meta}");
    assert!(meta.contains("[EMAIL]"), "{meta}");
}

#[tokio::test]
async fn a_file_whose_job_dies_marks_its_upload_failed() {
    use shared::jobs::kinds;
    let registry =
        JobRegistry::empty().register(kinds::PROCESS_FILE, |_ctx: worker::JobContext| async move {
            if std::hint::black_box(true) {
                panic!("parser blew up");
            }
            Ok(Value::Null)
        });
    // The route answers as soon as the job fails; the longer wait only keeps a loaded CI
    // machine's slow pickup from turning "failed" into "still processing".
    let app = TestApp::builder()
        .workers(1, registry)
        .env("PRODUCK__JOBS__SYNC_WAIT_SECS", "20")
        .spawn()
        .await;
    let res = upload(&app, vec![("notes.txt", b"Search is slow.".to_vec())]).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["failed_files"], 1, "{body}");
    let upload_id: uuid::Uuid = body["files"][0]["upload_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let row = shared::services::uploads::load(app.db(), app.workspace_id, upload_id)
        .await
        .unwrap();
    assert_eq!(row.status, "failed");
    assert!(row.data.is_none(), "the bytes are released");
    assert!(row.error.unwrap_or_default().contains("internal error"));
}

#[tokio::test]
async fn the_answer_never_outlasts_the_upload_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The body takes 6 of the route's 8 seconds to arrive; waiting the full 3 s for
    // processing would cross the deadline after the file was committed.
    let app = TestApp::builder()
        .env("PRODUCK__INGEST__UPLOAD_TIMEOUT_SECS", "8")
        .env("PRODUCK__JOBS__SYNC_WAIT_SECS", "3")
        .spawn()
        .await;
    let boundary = "produckboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"slow.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nThe export button is slow.\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let filler = "x".repeat(600);
    let body_len = head.len() + filler.len() * 6 + tail.len();
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "POST /upload/upload-feedback HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n{head}",
        app.addr, app.admin_token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        stream.write_all(filler.as_bytes()).await.unwrap();
    }
    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    assert!(answer.contains("still processing"), "{answer}");
}

#[tokio::test]
async fn feedback_pages_by_cursor_cover_everything_once() {
    use shared::services::{feedback, workspaces};
    let app = TestApp::spawn().await;
    let ws = workspaces::get(app.db(), app.workspace_id).await.unwrap();
    let now = chrono::Utc::now();
    // Many items share a timestamp, so the id must break ties.
    let items: Vec<feedback::NewFeedback> = (0..250)
        .map(|i| feedback::NewFeedback {
            source: "api",
            source_id: format!("page-{i}"),
            text: format!("Feedback number {i} about exports"),
            created_at: Some(now - chrono::Duration::minutes((i / 10) as i64)),
            meta: json!({}),
            ..Default::default()
        })
        .collect();
    feedback::ingest(app.db(), &ws, items).await.unwrap();
    let by_offset = all_feedback(&app, &app.admin_token).await;
    let mut seen = Vec::new();
    let mut path = "/feedback?limit=100".to_owned();
    loop {
        let res = app.get(&path, &app.admin_token).await;
        assert_eq!(res.status(), 200);
        let next = res
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Vec<Value> = res.json().await.unwrap();
        seen.extend(
            page.into_iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        match next {
            Some(c) => path = format!("/feedback?limit=100&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = by_offset
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        seen, expected,
        "cursor pages list every item once, in order"
    );
    problem(
        app.get("/feedback?cursor=nonsense", &app.admin_token).await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.get(
            &format!(
                "/feedback?offset=5&cursor={}",
                "1.00000000000000000000000000000000"
            ),
            &app.admin_token,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn feedback_whose_meta_holds_extreme_numbers_still_lists() {
    // PostgreSQL prints such numbers in full (309 digits); reading them back once failed
    // every page of /feedback with a 500.
    let app = crate::harness::TestApp::spawn().await;
    let body = serde_json::json!({"items": [{
        "source_id": "extreme-1",
        "text": "Exports with huge numbers still need to list",
        "meta": {"max": f64::MAX, "min": f64::MIN, "tiny": 1e-300},
    }]});
    let res = app.post_json("/feedback", &app.admin_token, &body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let page = app.get("/feedback", &app.admin_token).await;
    assert_eq!(page.status(), 200);
    let items: Vec<serde_json::Value> = page.json().await.unwrap();
    let item = items
        .iter()
        .find(|i| i["source_id"] == "extreme-1")
        .expect("listed");
    assert_eq!(item["meta"]["max"].as_f64(), Some(f64::MAX));
}

#[tokio::test]
async fn pushed_feedback_is_idempotent_redacted_embedded_and_validated() {
    use crate::harness::problem;
    let app = crate::harness::TestApp::builder()
        .env("PRODUCK__INGEST__MAX_PUSH_ITEMS", "3")
        .workers(1, worker::JobRegistry::production())
        .spawn()
        .await;
    let body = serde_json::json!({"source": "api", "items": [
        {"source_id": "zd-1001", "text": "Exports time out for our finance team, mail me at ana@globex.example", "account": "Globex",
         "created_at": "2026-11-20T10:00:00Z", "meta": {"tool": "zendesk", "ticket": 1001}},
        {"source_id": "zd-1002", "text": "Please add SSO for Okta"}
    ]});
    let res = app.post_json("/feedback", &app.admin_token, &body).await;
    assert_eq!(res.status(), 200);
    let first: serde_json::Value = res.json().await.unwrap();
    assert_eq!(first["created"], 2);
    assert_eq!(first["feedback_created"], 2);
    assert_eq!(first["customers_linked"], 1);
    // The same push again changes nothing; an edited text updates its item.
    let again: serde_json::Value = app
        .post_json("/feedback", &app.admin_token, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(2))
    );
    let edited = serde_json::json!({"items": [{"source_id": "zd-1002", "text": "Please add SSO for Okta and Azure AD"}]});
    let edit: serde_json::Value = app
        .post_json("/feedback", &app.admin_token, &edited)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edit["updated"], 1);
    app.wait_all_embedded(std::time::Duration::from_secs(60))
        .await;
    let items: Vec<serde_json::Value> =
        app.get_body("/feedback?source=api", &app.admin_token).await;
    assert_eq!(items.len(), 2);
    let globex = items.iter().find(|f| f["source_id"] == "zd-1001").unwrap();
    assert!(
        !globex["text"]
            .as_str()
            .unwrap()
            .contains("ana@globex.example"),
        "{globex}"
    );
    assert_eq!(globex["account"], "Globex");
    assert_eq!(globex["meta"]["tool"], "zendesk");
    assert_eq!(globex["created_at"], "2026-11-20T10:00:00Z");
    assert!(
        items
            .iter()
            .all(|f| f["embedding_model"] == "all-MiniLM-L6-v2")
    );

    // Bad pushes store nothing and say why.
    let too_many = serde_json::json!({"items": (0..4).map(|i| serde_json::json!({"source_id": format!("n{i}"), "text": "x"})).collect::<Vec<_>>()});
    problem(
        app.post_json("/feedback", &app.admin_token, &too_many)
            .await,
        422,
        "validation_failed",
    )
    .await;
    for bad in [
        serde_json::json!({"source": "slack", "items": [{"source_id": "a", "text": "x"}]}),
        serde_json::json!({"items": []}),
        serde_json::json!({"items": [{"source_id": "", "text": "x"}]}),
        serde_json::json!({"items": [{"source_id": "a", "text": "x", "meta": [1, 2]}]}),
        serde_json::json!({"items": [{"source_id": "a", "text": "x", "rating": 5}]}),
    ] {
        problem(
            app.post_json("/feedback", &app.admin_token, &bad).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let viewer = app
        .member_token("viewer@acme.example", shared::auth::Role::Viewer)
        .await;
    problem(
        app.post_json("/feedback", &viewer, &body).await,
        403,
        "forbidden",
    )
    .await;
    let items: Vec<serde_json::Value> =
        app.get_body("/feedback?source=api", &app.admin_token).await;
    assert_eq!(items.len(), 2);
}
