-- A help desk that has been in production for years, audited with its rows: foreign keys added NOT VALID during
-- an online migration and never validated (one over orphaned rows), a CHECK added NOT VALID over rows that break
-- it, a reference an old dump restored as RI_FKey_* constraint triggers, references no constraint declares (one
-- clean, one with orphans), and columns named like tables that hold another system's ids (a CRM's customer ids in
-- a sync log, a client SDK's session ids in the event stream): the values say they point nowhere in this database.

CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE customers (id uuid PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE sessions (id uuid PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
                       created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE queues (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE tickets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                      customer_id uuid NOT NULL,           -- declared NOT VALID below, over orphans
                      queue_id integer NOT NULL,            -- legacy RI trigger below
                      requester_id bigint NOT NULL,         -- undeclared, every value a user
                      assignee_id bigint,                   -- undeclared, many values of deleted users
                      priority integer NOT NULL,
                      subject text NOT NULL,
                      created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE ticket_comments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                              ticket_id bigint NOT NULL,    -- declared NOT VALID below, every row fine
                              author_id bigint NOT NULL REFERENCES users (id),
                              body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE crm_sync_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                           customer_id text NOT NULL,       -- the CRM's customer id ('0015g0000...'), not ours
                           synced_at timestamptz NOT NULL DEFAULT now(), status text NOT NULL);
CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                     session_id uuid NOT NULL,              -- the browser SDK's session, not a login session
                     name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());

INSERT INTO users (email) SELECT 'agent' || n || '@desk.test' FROM generate_series(1, 40) AS n;
INSERT INTO customers (id, name) SELECT md5('customer' || n)::uuid, 'Customer ' || n FROM generate_series(1, 30) AS n;
INSERT INTO sessions (id, user_id) SELECT md5('login' || n)::uuid, mod(n, 40) + 1 FROM generate_series(1, 50) AS n;
INSERT INTO queues VALUES (1, 'billing'), (2, 'technical'), (3, 'sales');
INSERT INTO tickets (customer_id, queue_id, requester_id, assignee_id, priority, subject)
SELECT CASE WHEN mod(n, 10) = 0 THEN md5('closed customer' || n)::uuid ELSE md5('customer' || (mod(n, 30) + 1))::uuid END,
       mod(n, 3) + 1, mod(n, 40) + 1,
       CASE WHEN mod(n, 2) = 0 THEN 100 + n ELSE mod(n, 40) + 1 END,
       CASE WHEN mod(n, 25) = 0 THEN 0 ELSE mod(n, 4) + 1 END, 'Ticket ' || n
FROM generate_series(1, 200) AS n;
INSERT INTO ticket_comments (ticket_id, author_id, body)
SELECT mod(n, 200) + 1, mod(n, 40) + 1, 'Comment ' || n FROM generate_series(1, 400) AS n;
INSERT INTO crm_sync_log (customer_id, status)
SELECT '0015g00000' || lpad(to_hex(n * 7919), 5, '0') || 'AAQ', 'ok' FROM generate_series(1, 60) AS n;
INSERT INTO events (session_id, name) SELECT md5('sdk' || mod(n, 45))::uuid, 'page_view' FROM generate_series(1, 300) AS n;

-- an online migration added these without a long lock and never came back to validate them
ALTER TABLE tickets ADD CONSTRAINT tickets_customer_fkey FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE ticket_comments ADD CONSTRAINT ticket_comments_ticket_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id)
    NOT VALID;
ALTER TABLE tickets ADD CONSTRAINT tickets_priority_check CHECK (priority BETWEEN 1 AND 4) NOT VALID;
-- restored from a 7.x dump years ago: the queue reference came back as a constraint trigger
CREATE CONSTRAINT TRIGGER "RI_ConstraintTrigger_40123" AFTER INSERT OR UPDATE ON tickets FROM queues
    NOT DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW
    EXECUTE PROCEDURE "RI_FKey_check_ins" ('<unnamed>', 'tickets', 'queues', 'UNSPECIFIED', 'queue_id', 'id');
ANALYZE;
