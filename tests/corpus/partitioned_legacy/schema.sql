-- An IoT database that grew over many PostgreSQL versions: readings partitioned by month with the foreign key
-- declared on every partition (the parent predates partitioned foreign keys), a modern partitioned table with the
-- key on the parent, a foreign key restored from a very old dump as a bare constraint trigger calling
-- RI_FKey_check_ins (PostgreSQL 18 keeps it as a trigger, not a foreign key: it enforces nothing and makes every
-- insert fail), NOT VALID foreign keys and CHECKs, and tables keyed by a unique NOT NULL index instead of a primary key.

CREATE TABLE sites (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE sensors (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, site_id integer NOT NULL REFERENCES sites (id),
                      serial_number text NOT NULL UNIQUE, kind text NOT NULL,
                      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE readings (sensor_id integer NOT NULL, taken_at timestamptz NOT NULL, value double precision NOT NULL,
                       created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sensor_id, taken_at))
    PARTITION BY RANGE (taken_at);
CREATE TABLE readings_2025_01 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE readings_2025_02 PARTITION OF readings FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
ALTER TABLE readings_2025_01 ADD CONSTRAINT readings_2025_01_sensor_fkey FOREIGN KEY (sensor_id) REFERENCES sensors (id);
ALTER TABLE readings_2025_02 ADD CONSTRAINT readings_2025_02_sensor_fkey FOREIGN KEY (sensor_id) REFERENCES sensors (id);
CREATE TABLE alerts (id bigint GENERATED ALWAYS AS IDENTITY, sensor_id integer NOT NULL REFERENCES sensors (id),
                     raised_at timestamptz NOT NULL, level text NOT NULL,
                     acknowledged_by integer,                              -- undeclared -> operators
                     created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
                     PRIMARY KEY (id, raised_at)) PARTITION BY RANGE (raised_at);
CREATE TABLE alerts_2025 PARTITION OF alerts FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE operators (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE maintenance_orders (id integer PRIMARY KEY, site_id integer NOT NULL, opened_on date NOT NULL,
                                 operator_id integer NOT NULL,
                                 created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
-- restored from a 7.x-era dump: the foreign key came back as a constraint trigger
CREATE CONSTRAINT TRIGGER "<unnamed>" AFTER INSERT OR UPDATE ON maintenance_orders FROM sites NOT DEFERRABLE
    INITIALLY IMMEDIATE FOR EACH ROW
    EXECUTE PROCEDURE "RI_FKey_check_ins" ('<unnamed>', 'maintenance_orders', 'sites', 'UNSPECIFIED', 'site_id', 'id');
ALTER TABLE maintenance_orders ADD CONSTRAINT maintenance_orders_operator_fkey FOREIGN KEY (operator_id)
    REFERENCES operators (id) NOT VALID;
ALTER TABLE maintenance_orders ADD CONSTRAINT maintenance_orders_opened_check CHECK (opened_on > '2000-01-01') NOT VALID;
-- keyed by a unique NOT NULL column rather than a primary key
CREATE TABLE firmware_versions (version text NOT NULL, released_on date NOT NULL, notes text,
                                created_at timestamptz NOT NULL DEFAULT now(),
                                updated_at timestamptz NOT NULL DEFAULT now());
CREATE UNIQUE INDEX firmware_versions_version_key ON firmware_versions (version);
CREATE TABLE sensor_firmware (sensor_id integer NOT NULL REFERENCES sensors (id), firmware_version text NOT NULL
                              REFERENCES firmware_versions (version), installed_at timestamptz NOT NULL,
                              created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE UNIQUE INDEX sensor_firmware_sensor_key ON sensor_firmware (sensor_id, installed_at);
-- a genuine heap without any key
CREATE TABLE import_staging (line text, imported_at timestamptz DEFAULT now());
