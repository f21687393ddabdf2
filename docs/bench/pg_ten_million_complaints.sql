-- Ten copies of every complaint of a demo district, so that a million merchants have
-- about ten million complaints (issue #15: "a full rescore of 1 M merchants with 10 M
-- complaints on PostgreSQL"). Each copy gets a ticket of its own; the dates, kinds and
-- complainants are the original's, so the scores' inputs grow tenfold.
--   psql -h 127.0.0.1 -U postgres -d DB -f docs/bench/pg_ten_million_complaints.sql
\timing on
INSERT INTO complaints (channel, ticket_no, kind, status, received_at, accepted_at, closed_at,
    merchant_id, merchant_name, category, industry, street, amount_involved_fen,
    amount_recovered_fen, satisfaction, complainant_key, text, punitive_demand,
    purchase_quantity, merchant_response, responded_at, created_at, updated_at, assignee_id)
SELECT c.channel, c.ticket_no || '-copy' || g, c.kind, c.status, c.received_at, c.accepted_at,
    c.closed_at, c.merchant_id, c.merchant_name, c.category, c.industry, c.street,
    c.amount_involved_fen, c.amount_recovered_fen, c.satisfaction, c.complainant_key, c.text,
    c.punitive_demand, c.purchase_quantity, c.merchant_response, c.responded_at, c.created_at,
    c.updated_at, c.assignee_id
FROM generate_series(1, 10) AS g, complaints AS c
WHERE c.ticket_no NOT LIKE '%-copy%';
VACUUM (ANALYZE) complaints;
SELECT count(*) AS complaints FROM complaints;
