-- A DVD-rental sample database in the style of the classic teaching schemas: singular table names, integer
-- serial keys named <table>_id, a last_update column instead of created_at/updated_at, a payment table
-- partitioned by month with its foreign keys declared on every partition, and a few references left undeclared.

CREATE TABLE country (country_id serial PRIMARY KEY, country text NOT NULL,
                      last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE city (city_id serial PRIMARY KEY, city text NOT NULL,
                   country_id integer NOT NULL REFERENCES country (country_id),
                   last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE address (address_id serial PRIMARY KEY, address text NOT NULL, address2 text, district text NOT NULL,
                      city_id integer NOT NULL REFERENCES city (city_id), postal_code text, phone text NOT NULL,
                      last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE language (language_id serial PRIMARY KEY, name char(20) NOT NULL,
                       last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE category (category_id serial PRIMARY KEY, name text NOT NULL,
                       last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE actor (actor_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
                    last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, description text, release_year integer,
                   language_id integer NOT NULL REFERENCES language (language_id),
                   original_language_id integer,            -- undeclared: a second reference to language
                   rental_duration smallint NOT NULL DEFAULT 3, rental_rate numeric(4,2) NOT NULL DEFAULT 4.99,
                   length smallint, replacement_cost numeric(5,2) NOT NULL DEFAULT 19.99,
                   rating text DEFAULT 'G', special_features text[], fulltext tsvector,
                   last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE film_actor (actor_id integer NOT NULL REFERENCES actor (actor_id),
                         film_id integer NOT NULL REFERENCES film (film_id),
                         last_update timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor_id, film_id));
CREATE TABLE film_category (film_id integer NOT NULL REFERENCES film (film_id),
                            category_id integer NOT NULL,   -- undeclared
                            last_update timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (film_id, category_id));
CREATE TABLE staff (staff_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL,
                    address_id integer NOT NULL REFERENCES address (address_id), email text,
                    store_id integer NOT NULL,                -- undeclared (stores and staff refer to each other)
                    active boolean NOT NULL DEFAULT true, username text NOT NULL, password text,
                    last_update timestamptz NOT NULL DEFAULT now(), picture bytea);
CREATE TABLE store (store_id serial PRIMARY KEY,
                    manager_staff_id integer NOT NULL UNIQUE, -- undeclared: the manager, a staff member
                    address_id integer NOT NULL REFERENCES address (address_id),
                    last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE customer (customer_id serial PRIMARY KEY, store_id integer NOT NULL REFERENCES store (store_id),
                       first_name text NOT NULL, last_name text NOT NULL, email text,
                       address_id integer NOT NULL REFERENCES address (address_id),
                       activebool boolean NOT NULL DEFAULT true, create_date date NOT NULL DEFAULT current_date,
                       last_update timestamptz DEFAULT now(), active integer);
CREATE TABLE inventory (inventory_id serial PRIMARY KEY, film_id integer NOT NULL REFERENCES film (film_id),
                        store_id integer NOT NULL REFERENCES store (store_id),
                        last_update timestamptz NOT NULL DEFAULT now());
CREATE TABLE rental (rental_id serial PRIMARY KEY, rental_date timestamptz NOT NULL,
                     inventory_id integer NOT NULL REFERENCES inventory (inventory_id),
                     customer_id integer NOT NULL REFERENCES customer (customer_id),
                     return_date timestamptz,
                     staff_id integer NOT NULL,                -- undeclared
                     last_update timestamptz NOT NULL DEFAULT now());

-- Payments: partitioned by month; the partitions each carry the foreign keys (the old way, before partitioned
-- tables could hold them), the parent declares none.
CREATE TABLE payment (payment_id serial NOT NULL, customer_id integer NOT NULL, staff_id integer NOT NULL,
                      rental_id integer NOT NULL, amount numeric(5,2) NOT NULL, payment_date timestamptz NOT NULL,
                      PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');
CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01') TO ('2022-04-01');
ALTER TABLE payment_p2022_01 ADD FOREIGN KEY (customer_id) REFERENCES customer (customer_id),
    ADD FOREIGN KEY (staff_id) REFERENCES staff (staff_id), ADD FOREIGN KEY (rental_id) REFERENCES rental (rental_id);
ALTER TABLE payment_p2022_02 ADD FOREIGN KEY (customer_id) REFERENCES customer (customer_id),
    ADD FOREIGN KEY (staff_id) REFERENCES staff (staff_id), ADD FOREIGN KEY (rental_id) REFERENCES rental (rental_id);
ALTER TABLE payment_p2022_03 ADD FOREIGN KEY (customer_id) REFERENCES customer (customer_id),
    ADD FOREIGN KEY (staff_id) REFERENCES staff (staff_id), ADD FOREIGN KEY (rental_id) REFERENCES rental (rental_id);

CREATE VIEW customer_list AS
    SELECT c.customer_id AS id, c.first_name || ' ' || c.last_name AS name, a.address, a.phone
    FROM customer c JOIN address a ON a.address_id = c.address_id;
