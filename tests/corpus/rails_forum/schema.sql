-- A Rails forum in the style of long-lived Rails apps: bigserial ids, <model>_id bigint references that mostly carry
-- no foreign key (the application enforces them), created_at/updated_at everywhere, polymorphic *_type + *_id
-- pairs, a source_id that a comment says is polymorphic, Rails' own bookkeeping tables, and a forgotten backup copy.

CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar, created_at timestamp(6) NOT NULL,
                                   updated_at timestamp(6) NOT NULL);
CREATE TABLE users (id bigserial PRIMARY KEY, username varchar NOT NULL, email varchar NOT NULL, admin boolean NOT NULL
                    DEFAULT false, trust_level integer NOT NULL DEFAULT 0, created_at timestamp NOT NULL,
                    updated_at timestamp NOT NULL);
CREATE TABLE categories (id bigserial PRIMARY KEY, name varchar NOT NULL, slug varchar NOT NULL,
                         parent_category_id bigint, user_id bigint NOT NULL, topic_count integer NOT NULL DEFAULT 0,
                         created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE topics (id bigserial PRIMARY KEY, title varchar NOT NULL, user_id bigint,
                     category_id bigint, last_post_user_id bigint NOT NULL, highest_post_number integer NOT NULL
                     DEFAULT 0, archetype varchar NOT NULL DEFAULT 'regular', views integer NOT NULL DEFAULT 0,
                     created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint, topic_id bigint NOT NULL, post_number integer NOT NULL,
                    raw text NOT NULL, cooked text NOT NULL, reply_to_post_number integer, reply_to_user_id bigint,
                    created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE INDEX index_posts_on_topic_id_and_post_number ON posts (topic_id, post_number);
CREATE TABLE post_actions (id bigserial PRIMARY KEY, post_id bigint NOT NULL, user_id bigint NOT NULL,
                           post_action_type_id integer NOT NULL, created_at timestamp NOT NULL,
                           updated_at timestamp NOT NULL);
CREATE TABLE post_action_types (id serial PRIMARY KEY, name_key varchar(50) NOT NULL, is_flag boolean NOT NULL DEFAULT
                                false, created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE tags (id bigserial PRIMARY KEY, name varchar NOT NULL, created_at timestamp NOT NULL,
                   updated_at timestamp NOT NULL);
-- polymorphic: taggable_type names the model (Topic, Post), taggable_id its row
CREATE TABLE taggings (id bigserial PRIMARY KEY, tag_id bigint NOT NULL REFERENCES tags (id), taggable_type varchar,
                       taggable_id bigint, created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE notifications (id bigserial PRIMARY KEY, notification_type integer NOT NULL,
                            user_id bigint NOT NULL REFERENCES users (id), notifiable_type varchar,
                            notifiable_id bigint, data varchar(1000) NOT NULL, read boolean NOT NULL DEFAULT false,
                            created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE sources (id bigserial PRIMARY KEY, name varchar NOT NULL, url varchar, created_at timestamp NOT NULL,
                      updated_at timestamp NOT NULL);
CREATE TABLE user_histories (id bigserial PRIMARY KEY, action integer NOT NULL, acting_user_id bigint,
                             target_user_id bigint, source_type varchar, source_id bigint, details text,
                             created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
COMMENT ON COLUMN user_histories.source_id IS 'Polymorphic: the id of the row of the model named by source_type.';
CREATE TABLE uploads (id bigserial PRIMARY KEY, user_id bigint NOT NULL, original_filename varchar NOT NULL,
                      filesize bigint NOT NULL, sha1 varchar(40), url varchar NOT NULL, access_control_post_id bigint,
                      created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE upload_references (id bigserial PRIMARY KEY, upload_id bigint NOT NULL REFERENCES uploads (id),
                                target_type varchar NOT NULL, target_id bigint NOT NULL,
                                created_at timestamp NOT NULL, updated_at timestamp NOT NULL);
CREATE TABLE topic_users (id bigserial PRIMARY KEY, user_id bigint NOT NULL, topic_id bigint NOT NULL,
                          posted boolean NOT NULL DEFAULT false, last_read_post_number integer,
                          notification_level integer NOT NULL DEFAULT 1, created_at timestamp NOT NULL,
                          updated_at timestamp NOT NULL);
CREATE UNIQUE INDEX index_topic_users_on_user_id_and_topic_id ON topic_users (user_id, topic_id);
-- a copy taken before a risky data migration and never dropped
CREATE TABLE topics_backup_2023 (id bigint, title varchar, user_id bigint, category_id bigint,
                                 last_post_user_id bigint, highest_post_number integer, archetype varchar,
                                 views integer, created_at timestamp, updated_at timestamp);
