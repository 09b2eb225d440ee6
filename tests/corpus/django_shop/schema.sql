-- A Django shop: <app>_<model> tables (auth_user, shop_product, orders_order), integer/bigint ids, <field>_id
-- references declared DEFERRABLE INITIALLY DEFERRED as Django does, a few declared with db_constraint=False (no foreign
-- key in the database), generic relations through django_content_type (content_type_id + object_id), Django's own
-- bookkeeping tables, and "created"/"modified" timestamps from a TimeStampedModel base class on the shop models.

CREATE TABLE django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL,
                                applied timestamptz NOT NULL);
CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label varchar(100) NOT NULL, model varchar(100) NOT NULL,
                                  UNIQUE (app_label, model));
CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL,
                             expire_date timestamptz NOT NULL);
CREATE TABLE auth_permission (id serial PRIMARY KEY, name varchar(255) NOT NULL, codename varchar(100) NOT NULL,
                              content_type_id integer NOT NULL REFERENCES django_content_type (id)
                                  DEFERRABLE INITIALLY DEFERRED, UNIQUE (content_type_id, codename));
CREATE TABLE auth_group (id serial PRIMARY KEY, name varchar(150) NOT NULL UNIQUE);
CREATE TABLE auth_group_permissions (id bigserial PRIMARY KEY,
                                     group_id integer NOT NULL REFERENCES auth_group (id) DEFERRABLE INITIALLY DEFERRED,
                                     permission_id integer NOT NULL REFERENCES auth_permission (id)
                                         DEFERRABLE INITIALLY DEFERRED, UNIQUE (group_id, permission_id));
CREATE TABLE auth_user (id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz,
                        is_superuser boolean NOT NULL, username varchar(150) NOT NULL UNIQUE,
                        first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL, email varchar(254) NOT NULL,
                        is_staff boolean NOT NULL, is_active boolean NOT NULL, date_joined timestamptz NOT NULL);
CREATE TABLE auth_user_groups (id bigserial PRIMARY KEY,
                               user_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED,
                               group_id integer NOT NULL REFERENCES auth_group (id) DEFERRABLE INITIALLY DEFERRED,
                               UNIQUE (user_id, group_id));
CREATE TABLE django_admin_log (id serial PRIMARY KEY, action_time timestamptz NOT NULL, object_id text,
                               object_repr varchar(200) NOT NULL, action_flag smallint NOT NULL, change_message text
                               NOT NULL, content_type_id integer REFERENCES django_content_type (id)
                                   DEFERRABLE INITIALLY DEFERRED,
                               user_id integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE shop_category (id bigserial PRIMARY KEY, name varchar(100) NOT NULL, slug varchar(50) NOT NULL UNIQUE,
                            parent_id bigint REFERENCES shop_category (id) DEFERRABLE INITIALLY DEFERRED,
                            created timestamptz NOT NULL, modified timestamptz NOT NULL);
CREATE TABLE shop_product (id bigserial PRIMARY KEY, name varchar(200) NOT NULL, slug varchar(50) NOT NULL UNIQUE,
                           price numeric(10,2) NOT NULL, stock integer NOT NULL,
                           category_id bigint NOT NULL,                       -- db_constraint=False
                           created timestamptz NOT NULL, modified timestamptz NOT NULL);
CREATE TABLE shop_product_tags (id bigserial PRIMARY KEY, product_id bigint NOT NULL REFERENCES shop_product (id)
                                    DEFERRABLE INITIALLY DEFERRED, tag_id bigint NOT NULL,  -- undeclared
                                UNIQUE (product_id, tag_id));
CREATE TABLE shop_tag (id bigserial PRIMARY KEY, name varchar(50) NOT NULL UNIQUE);
CREATE TABLE orders_order (id bigserial PRIMARY KEY,
                           user_id integer REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED,
                           status varchar(20) NOT NULL, total numeric(10,2) NOT NULL, paid boolean NOT NULL,
                           braintree_id varchar(150) NOT NULL, coupon_id bigint,    -- undeclared
                           created timestamptz NOT NULL, modified timestamptz NOT NULL);
CREATE TABLE orders_orderitem (id bigserial PRIMARY KEY,
                               order_id bigint NOT NULL REFERENCES orders_order (id) DEFERRABLE INITIALLY DEFERRED,
                               product_id bigint NOT NULL,                     -- db_constraint=False
                               price numeric(10,2) NOT NULL, quantity integer NOT NULL);
CREATE TABLE coupons_coupon (id bigserial PRIMARY KEY, code varchar(50) NOT NULL UNIQUE, valid_from timestamptz NOT NULL,
                             valid_to timestamptz NOT NULL, discount integer NOT NULL, active boolean NOT NULL);
CREATE TABLE reviews_review (id bigserial PRIMARY KEY,
                             product_id bigint NOT NULL REFERENCES shop_product (id) DEFERRABLE INITIALLY DEFERRED,
                             author_id integer NOT NULL,                     -- undeclared -> auth_user
                             rating smallint NOT NULL, body text NOT NULL, created timestamptz NOT NULL,
                             modified timestamptz NOT NULL);
-- generic relation: content_type_id names the model, object_id its row
CREATE TABLE comments_comment (id bigserial PRIMARY KEY,
                               content_type_id integer NOT NULL REFERENCES django_content_type (id)
                                   DEFERRABLE INITIALLY DEFERRED,
                               object_id bigint NOT NULL,
                               user_id integer REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED,
                               comment text NOT NULL, submit_date timestamptz NOT NULL, is_public boolean NOT NULL);
