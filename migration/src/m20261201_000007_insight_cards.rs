//! The board's read model: insights carry their feedback count, customers and total ACV,
//! maintained by the transactions that change them, so listing them aggregates nothing.

const UP: &str = r#"
ALTER TABLE insights
    ADD COLUMN feedback_count integer NOT NULL DEFAULT 0,
    ADD COLUMN customers jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN total_acv double precision NOT NULL DEFAULT 0;

UPDATE insights i SET
    feedback_count = (SELECT count(*) FROM feedback_themes ft WHERE ft.theme_id = i.theme_id),
    customers = coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name, 'segment', c.segment, 'acv', c.acv)
                                           ORDER BY c.acv DESC, c.name, c.id)
                          FROM customers c WHERE c.id IN (SELECT f.customer_id FROM feedback_themes ft
                                                          JOIN feedback f ON f.id = ft.feedback_id
                                                          WHERE ft.theme_id = i.theme_id)), '[]'::jsonb),
    total_acv = coalesce((SELECT sum(c.acv) FROM customers c WHERE c.id IN (SELECT f.customer_id FROM feedback_themes ft
                                                          JOIN feedback f ON f.id = ft.feedback_id
                                                          WHERE ft.theme_id = i.theme_id)), 0);
"#;

const DOWN: &str = r#"
ALTER TABLE insights DROP COLUMN IF EXISTS feedback_count, DROP COLUMN IF EXISTS customers,
    DROP COLUMN IF EXISTS total_acv;
"#;

sql_migration!("m20261201_000007_insight_cards", UP, DOWN);
