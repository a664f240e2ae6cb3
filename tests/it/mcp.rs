//! The MCP server at `/mcp`, driven by the official Rust SDK's own client over Streamable
//! HTTP, as an assistant would: the tools a key's role allows, every tool answering what the
//! HTTP API answers, a viewer key refused the tools that change data, each call in the audit
//! trail, write tools charged as writes, and nothing without a credential or across
//! workspaces.

use rmcp::{
    RoleClient, ServiceExt,
    model::{
        CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    },
    service::RunningService,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};

use crate::harness::{TestApp, problem};

type Client = RunningService<RoleClient, ClientConfig>;

async fn connect(app: &TestApp, key: &str) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(app.url("/mcp")).auth_header(key);
    let transport = StreamableHttpClientTransport::with_client(app.http.clone(), config);
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("produck-tests", "1.0.0"),
    )
    .serve(transport)
    .await
    .expect("MCP handshake")
}

async fn api_key(app: &TestApp, token: &str, role: &str) -> String {
    let res = app
        .post_json(
            "/api-keys",
            token,
            &json!({"name": format!("assistant ({role})"), "role": role}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    created["key"].as_str().unwrap().to_owned()
}

async fn tool_names(client: &Client) -> Vec<String> {
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    names
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

/// The structured answer of a call that worked.
async fn ok(client: &Client, tool: &str, arguments: Value) -> Value {
    let result = call(client, tool, arguments).await;
    assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
    result.structured_content.expect("structured content")
}

/// The problem a call that failed answers.
async fn refused(client: &Client, tool: &str, arguments: Value, code: &str) -> Value {
    let result = call(client, tool, arguments).await;
    assert_eq!(
        result.is_error,
        Some(true),
        "{tool} should fail: {result:?}"
    );
    let problem = result.structured_content.expect("a problem");
    assert_eq!(problem["code"], code, "{problem}");
    problem
}

const ALL_TOOLS: [&str; 8] = [
    "add_feedback",
    "ask_copilot",
    "draft_prd",
    "get_insight",
    "get_ticket",
    "list_insights",
    "score_ticket",
    "search",
];

#[tokio::test]
async fn an_assistant_uses_every_tool_and_a_viewer_key_only_reads() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let res = app
        .post_json(
            "/jira/tickets",
            &app.admin_token,
            &json!({"jira_key": "PROD-1", "title": "SAML single sign-on with Okta",
                    "description": "Enterprise customers need SSO through Okta before rolling out", "priority": "low"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let editor = connect(&app, &api_key(&app, &app.admin_token, "editor").await).await;
    let viewer = connect(&app, &api_key(&app, &app.admin_token, "viewer").await).await;

    assert_eq!(tool_names(&editor).await, ALL_TOOLS);
    let mut read_tools: Vec<&str> = ALL_TOOLS.to_vec();
    read_tools.retain(|t| !matches!(*t, "add_feedback" | "score_ticket"));
    assert_eq!(tool_names(&viewer).await, read_tools);

    // Reads answer exactly what the HTTP API answers.
    let board: Value = app.get_json("/themes?limit=5", &app.admin_token).await;
    let listed = ok(&viewer, "list_insights", json!({"limit": 5})).await;
    assert_eq!(listed["insights"], board);
    let top = board[0]["id"].as_str().unwrap().to_owned();
    let hits: Value = app.get_json("/search?q=SSO", &app.admin_token).await;
    assert!(!hits.as_array().unwrap().is_empty());
    assert_eq!(
        ok(&viewer, "search", json!({"q": "SSO"})).await["hits"],
        hits
    );
    let insight = ok(&viewer, "get_insight", json!({"insight_id": top})).await;
    assert_eq!(insight["id"], top.as_str());
    assert!(!insight["key_quotes"].as_array().unwrap().is_empty());
    assert!(insight["supporting_feedback"].as_array().unwrap().len() <= 10);
    let prd = ok(&viewer, "draft_prd", json!({"insight_id": top})).await;
    assert_eq!(prd["generated_by"], "fallback");
    assert!(
        prd["prd_markdown"]
            .as_str()
            .unwrap()
            .contains(board[0]["title"].as_str().unwrap())
    );

    // A ticket rescored by the editor, then read by the viewer as the API shows it.
    let scored = ok(&editor, "score_ticket", json!({"ticket_key": "prod-1"})).await;
    assert!(scored["voc_score"].as_f64().unwrap() > 0.0, "{scored}");
    assert!(!scored["matched_insights"].as_array().unwrap().is_empty());
    let ticket = ok(&viewer, "get_ticket", json!({"ticket_key": "PROD-1"})).await;
    assert_eq!(
        ticket,
        app.get_json("/jira/tickets/PROD-1", &app.admin_token).await
    );
    assert_eq!(ticket["voc_score"]["voc_score"], scored["voc_score"]);

    // The copilot answers with citations and keeps the conversation for the key.
    let answer = ok(
        &viewer,
        "ask_copilot",
        json!({"message": "What are our enterprise blockers?"}),
    )
    .await;
    assert_eq!(answer["generated_by"], "fallback");
    assert!(!answer["response"].as_str().unwrap().is_empty());
    assert!(
        !answer["citations"].as_array().unwrap().is_empty(),
        "{answer}"
    );
    let follow_up = ok(
        &viewer,
        "ask_copilot",
        json!({"message": "Which accounts are behind it?", "conversation_id": answer["conversation_id"]}),
    )
    .await;
    assert_eq!(follow_up["conversation_id"], answer["conversation_id"]);

    // Writes: the editor adds feedback once (the same words again change nothing) ...
    let text = "Our auditors need an export of every admin action as CSV";
    let args = json!({"text": text, "account": "Globex"});
    let added = ok(&editor, "add_feedback", args.clone()).await;
    assert_eq!(added["created"], 1, "{added}");
    assert_eq!(
        ok(&editor, "add_feedback", args.clone()).await["unchanged"],
        1
    );
    // ... and the viewer may not, nor rescore.
    let problem = refused(&viewer, "add_feedback", args, "forbidden").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("editor"),
        "{problem}"
    );
    refused(
        &viewer,
        "score_ticket",
        json!({"ticket_key": "PROD-1"}),
        "forbidden",
    )
    .await;
    let stored: Value = app
        .get_json("/feedback?source=api&limit=100", &app.admin_token)
        .await;
    let copies = stored
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["text"] == text)
        .count();
    assert_eq!(copies, 1, "{stored}");

    // Bad arguments get the API's own explanations.
    let unknown = "00000000-0000-7000-8000-000000000000";
    refused(
        &viewer,
        "get_insight",
        json!({"insight_id": unknown}),
        "not_found",
    )
    .await;
    let short = refused(&viewer, "search", json!({"q": " x "}), "validation_failed").await;
    assert!(short["detail"].as_str().unwrap().contains("at least 2"));
    refused(
        &viewer,
        "list_insights",
        json!({"filter": "everything"}),
        "validation_failed",
    )
    .await;
    let garbled = call(&viewer, "get_insight", json!({"insight_id": "not-a-uuid"})).await;
    assert_eq!(garbled.is_error, Some(true));

    // Every call is in the audit trail, with who made it and how it ended.
    let audit: Value = app
        .get_json(
            "/admin/audit?action=mcp.tool_called&limit=200",
            &app.admin_token,
        )
        .await;
    let entries = audit["items"].as_array().unwrap();
    let refusal = entries
        .iter()
        .find(|e| e["target_id"] == "add_feedback" && e["details"]["result"] == "error")
        .expect("the refused call is audited");
    assert_eq!(refusal["details"]["error_code"], "forbidden");
    assert!(refusal["actor"].as_str().unwrap().starts_with("api_key:"));
    assert!(refusal["request_id"].is_string());
    assert_eq!(refusal["details"]["arguments"]["account"], "Globex");
    for tool in ALL_TOOLS {
        assert!(
            entries
                .iter()
                .any(|e| e["target_id"] == tool && e["details"]["result"] == "ok"),
            "{tool} is not audited"
        );
    }
    editor.cancel().await.unwrap();
    viewer.cancel().await.unwrap();
}

#[tokio::test]
async fn mcp_needs_a_credential_and_answers_only_for_the_keys_workspace() {
    let app = TestApp::demo().await;
    app.cluster().await;

    let anonymous = app
        .http
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401, "unauthorized").await;
    let forged = app
        .http
        .post(app.url("/mcp"))
        .bearer_auth("pk_not_a_real_key_at_all")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    problem(forged, 401, "unauthorized").await;

    let board: Value = app.get_json("/themes?limit=1", &app.admin_token).await;
    let ours = board[0]["id"].as_str().unwrap().to_owned();
    let (_, other_admin) = app.other_workspace().await;
    let theirs = connect(&app, &api_key(&app, &other_admin, "viewer").await).await;
    let listed = ok(&theirs, "list_insights", json!({})).await;
    assert_eq!(listed["insights"], json!([]));
    assert_eq!(
        ok(&theirs, "search", json!({"q": "SSO"})).await["hits"],
        json!([])
    );
    refused(
        &theirs,
        "get_insight",
        json!({"insight_id": ours}),
        "not_found",
    )
    .await;
    refused(
        &theirs,
        "draft_prd",
        json!({"insight_id": ours}),
        "not_found",
    )
    .await;
    theirs.cancel().await.unwrap();
}

#[tokio::test]
async fn write_tools_are_charged_as_writes_and_reads_as_reads() {
    let app = TestApp::builder()
        .env("PRODUCK__RATE_LIMITS__WRITES_PER_MINUTE", "2")
        .spawn()
        .await;
    let key = api_key(&app, &app.admin_token, "editor").await;
    let editor = connect(&app, &key).await;
    for n in 0..2 {
        let args = json!({"text": format!("Feedback number {n} about slow exports")});
        ok(&editor, "add_feedback", args).await;
    }
    let problem = refused(
        &editor,
        "add_feedback",
        json!({"text": "One write too many"}),
        "rate_limited",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("writes"));
    // Reading goes on: the read class has its own allowance.
    ok(&editor, "list_insights", json!({})).await;
    editor.cancel().await.unwrap();
}
