//! Which role a tool needs and which request class it is charged besides the read every MCP
//! request counts as: the rule of the HTTP route it stands for.

use shared::{auth::Role, services::request_limits::Class};

/// The rule for one tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    pub class: Option<Class>,
}

/// Tools that only read, open to viewers (read-only keys).
const READ_TOOLS: &[&str] = &[
    "search",
    "list_insights",
    "get_insight",
    "draft_prd",
    "get_ticket",
];

/// A tool not named here changes data: editors only, charged as a write.
pub fn access(tool: &str) -> Access {
    match tool {
        t if READ_TOOLS.contains(&t) => Access {
            role: Role::Viewer,
            class: None,
        },
        // Viewers may ask the copilot over HTTP too; it is charged as a chat question.
        "ask_copilot" => Access {
            role: Role::Viewer,
            class: Some(Class::Chat),
        },
        _ => Access {
            role: Role::Editor,
            class: Some(Class::Writes),
        },
    }
}
