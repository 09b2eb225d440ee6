-- A Rust service managed by diesel (with a few later sqlx migrations): plain snake_case, bigserial ids, <table
-- singular>_id references, foreign keys added NOT VALID on big tables during a migration and never validated,
-- CHECK constraints NOT VALID, ids at payment providers (<provider>_disbursement_id), a table whose own serial key is
-- named stream_id, and a few columns named exactly like the table they point at.

CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on timestamp NOT NULL DEFAULT now());
CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL, installed_on timestamptz NOT NULL
                               DEFAULT now(), success boolean NOT NULL, checksum bytea NOT NULL,
                               execution_time bigint NOT NULL);
CREATE TABLE customer (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, display_name text NOT NULL,
                       created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE merchants (id bigserial PRIMARY KEY, legal_name text NOT NULL, country_code char(2) NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE accounts (id bigserial PRIMARY KEY, merchant_id bigint NOT NULL REFERENCES merchants (id),
                       currency char(3) NOT NULL, balance_minor bigint NOT NULL DEFAULT 0,
                       created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id bigserial PRIMARY KEY,
                     customer bigint NOT NULL,                                   -- undeclared -> customer
                     merchant_id bigint NOT NULL,
                     total_minor bigint NOT NULL, currency char(3) NOT NULL, state_id smallint NOT NULL DEFAULT 0,
                     created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE orders ADD CONSTRAINT orders_merchant_id_fkey FOREIGN KEY (merchant_id) REFERENCES merchants (id) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total_minor >= 0) NOT VALID;
COMMENT ON COLUMN orders.state_id IS '0 pending, 1 paid, 2 refunded, 3 cancelled (see OrderState in src/model.rs)';
CREATE TABLE order_items (id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
                          sku text NOT NULL, quantity integer NOT NULL, unit_minor bigint NOT NULL,
                          created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE payments (id bigserial PRIMARY KEY, order_id bigint NOT NULL,
                       account_id bigint NOT NULL,                                 -- undeclared
                       amount_minor bigint NOT NULL, provider text NOT NULL, provider_payment_id text NOT NULL,
                       created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
CREATE TABLE payouts (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id),
                      amount_minor bigint NOT NULL, adyen_disbursement_id text, wise_disbursement_id text,
                      payoneer_transfer_id text, settled_at timestamptz,
                      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE refunds (id bigserial PRIMARY KEY,
                      payment bigint NOT NULL,                                     -- undeclared -> payments
                      reason text, amount_minor bigint NOT NULL,
                      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE streams (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now(),
                      updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE stream_events (id bigserial PRIMARY KEY, stream_id bigint NOT NULL REFERENCES streams (id),
                            version bigint NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
                            UNIQUE (stream_id, version));
-- the outbox numbers its own streams of messages: stream_id is this table's key, not a streams row
CREATE TABLE outbox (stream_id bigserial PRIMARY KEY, topic text NOT NULL, payload jsonb NOT NULL,
                     published_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(),
                     updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE webhooks (id bigserial PRIMARY KEY, merchant_id bigint NOT NULL REFERENCES merchants (id) ON DELETE SET NULL,
                       url text NOT NULL, secret text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
                       updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE api_keys (id bigserial PRIMARY KEY, merchant_id text NOT NULL,       -- undeclared, and typed text
                       key_hash bytea NOT NULL, last_used_at timestamptz,
                       created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
