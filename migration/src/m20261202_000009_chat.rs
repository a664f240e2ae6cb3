//! Copilot conversations per caller, their messages with citations, and answer ratings.

const UP: &str = r#"
CREATE TABLE conversations (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- the caller that owns it: user:<id>, api_key:<id> or local
    owner         text NOT NULL,
    title         text NOT NULL,
    archived      boolean NOT NULL DEFAULT false,
    archived_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_owner_idx ON conversations (workspace_id, owner, updated_at DESC, id DESC);

CREATE TABLE chat_messages (
    id                uuid PRIMARY KEY,
    conversation_id   uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role              text NOT NULL CHECK (role IN ('user', 'assistant')),
    content           text NOT NULL,
    citations         jsonb NOT NULL DEFAULT '[]'::jsonb,
    inline_citations  jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- 'llm' or 'fallback' for answers
    generated_by      text,
    model             text,
    tokens_used       integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_conversation_idx ON chat_messages (conversation_id, created_at, id);

-- a caller's rating of an answer; rating again replaces it
CREATE TABLE chat_message_feedback (
    id          uuid PRIMARY KEY,
    message_id  uuid NOT NULL UNIQUE REFERENCES chat_messages (id) ON DELETE CASCADE,
    rating      text NOT NULL CHECK (rating IN ('thumbs_up', 'thumbs_down')),
    comment     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS chat_message_feedback;
DROP TABLE IF EXISTS chat_messages;
DROP TABLE IF EXISTS conversations;
"#;

sql_migration!("m20261202_000009_chat", UP, DOWN);
