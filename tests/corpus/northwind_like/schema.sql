-- A trading-company sample in the style of the classic Access-era database ported to PostgreSQL: plural snake_case
-- tables, <singular>_id keys, a five-letter text customer key (bpchar), smallint keys elsewhere, a role-named
-- reference to shippers (ship_via) and a self reference (reports_to), composite keys on the detail tables, no
-- timestamps anywhere. The port kept only some of the foreign keys.

CREATE TABLE categories (category_id smallint PRIMARY KEY, category_name varchar(15) NOT NULL, description text,
                         picture bytea);
CREATE TABLE suppliers (supplier_id smallint PRIMARY KEY, company_name varchar(40) NOT NULL, contact_name varchar(30),
                        city varchar(15), country varchar(15), phone varchar(24), homepage text);
CREATE TABLE products (product_id smallint PRIMARY KEY, product_name varchar(40) NOT NULL,
                       supplier_id smallint,                                   -- undeclared
                       category_id smallint REFERENCES categories (category_id),
                       quantity_per_unit varchar(20), unit_price real, units_in_stock smallint,
                       units_on_order smallint, reorder_level smallint, discontinued integer NOT NULL);
CREATE TABLE region (region_id smallint PRIMARY KEY, region_description bpchar NOT NULL);
CREATE TABLE territories (territory_id varchar(20) PRIMARY KEY, territory_description bpchar NOT NULL,
                          region_id smallint NOT NULL);                        -- undeclared
CREATE TABLE employees (employee_id smallint PRIMARY KEY, last_name varchar(20) NOT NULL,
                        first_name varchar(10) NOT NULL, title varchar(30), birth_date date, hire_date date,
                        city varchar(15), country varchar(15), home_phone varchar(24), notes text,
                        reports_to smallint REFERENCES employees (employee_id), photo_path varchar(255));
CREATE TABLE employee_territories (employee_id smallint NOT NULL REFERENCES employees (employee_id),
                                   territory_id varchar(20) NOT NULL,         -- undeclared
                                   PRIMARY KEY (employee_id, territory_id));
CREATE TABLE customers (customer_id bpchar PRIMARY KEY, company_name varchar(40) NOT NULL, contact_name varchar(30),
                        contact_title varchar(30), address varchar(60), city varchar(15), region varchar(15),
                        postal_code varchar(10), country varchar(15), phone varchar(24), fax varchar(24));
CREATE TABLE customer_demographics (customer_type_id bpchar PRIMARY KEY, customer_desc text);
CREATE TABLE customer_customer_demo (customer_id bpchar NOT NULL REFERENCES customers (customer_id),
                                     customer_type_id bpchar NOT NULL
                                         REFERENCES customer_demographics (customer_type_id),
                                     PRIMARY KEY (customer_id, customer_type_id));
CREATE TABLE shippers (shipper_id smallint PRIMARY KEY, company_name varchar(40) NOT NULL, phone varchar(24));
CREATE TABLE orders (order_id smallint PRIMARY KEY,
                     customer_id bpchar,                                       -- undeclared (text key)
                     employee_id smallint REFERENCES employees (employee_id),
                     order_date date, required_date date, shipped_date date,
                     ship_via smallint,                                        -- undeclared -> shippers
                     freight real, ship_name varchar(40), ship_city varchar(15), ship_country varchar(15));
CREATE TABLE order_details (order_id smallint NOT NULL REFERENCES orders (order_id),
                            product_id smallint NOT NULL,                     -- undeclared
                            unit_price real NOT NULL, quantity smallint NOT NULL, discount real NOT NULL,
                            PRIMARY KEY (order_id, product_id));
-- a reference list kept for addresses, with no key at all
CREATE TABLE us_states (state_id smallint NOT NULL, state_name varchar(100), state_abbr varchar(2),
                        state_region varchar(50));
