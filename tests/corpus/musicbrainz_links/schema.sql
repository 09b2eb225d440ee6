-- A music-metadata database in the style of a long-lived open-data project: singular table names, serial ids,
-- references named exactly like the referenced table (artist, recording, editor) or like a lookup (type, gender,
-- area), generic link tables l_<a>_<b> whose positional columns entity0/entity1 point at the two tables named in
-- the table's name, one <entity>_annotation link table per entity, and last_updated instead of created/updated.
-- Foreign keys live in a separate script that was only partly applied here.

CREATE TABLE editor (id serial PRIMARY KEY, name varchar(64) NOT NULL, email varchar(64), member_since timestamptz
                     DEFAULT now(), last_login_date timestamptz);
CREATE TABLE gender (id serial PRIMARY KEY, name varchar(255) NOT NULL);
CREATE TABLE area_type (id serial PRIMARY KEY, name varchar(255) NOT NULL);
CREATE TABLE area (id serial PRIMARY KEY, gid uuid NOT NULL UNIQUE, name varchar NOT NULL,
                   type integer REFERENCES area_type (id), edits_pending integer NOT NULL DEFAULT 0,
                   last_updated timestamptz DEFAULT now());
CREATE TABLE artist_type (id serial PRIMARY KEY, name varchar(255) NOT NULL);
CREATE TABLE artist (id serial PRIMARY KEY, gid uuid NOT NULL UNIQUE, name varchar NOT NULL, sort_name varchar NOT NULL,
                     begin_date_year smallint, end_date_year smallint,
                     type integer,                                  -- undeclared -> artist_type
                     area integer REFERENCES area (id),
                     gender integer,                                -- undeclared -> gender
                     comment varchar(255) NOT NULL DEFAULT '', edits_pending integer NOT NULL DEFAULT 0,
                     last_updated timestamptz DEFAULT now(), ended boolean NOT NULL DEFAULT false);
CREATE TABLE recording (id serial PRIMARY KEY, gid uuid NOT NULL UNIQUE, name varchar NOT NULL,
                        artist_credit integer NOT NULL,             -- undeclared -> artist_credit
                        length integer, comment varchar(255) NOT NULL DEFAULT '', video boolean NOT NULL DEFAULT false,
                        edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now());
CREATE TABLE artist_credit (id serial PRIMARY KEY, name varchar NOT NULL, artist_count smallint NOT NULL,
                            ref_count integer DEFAULT 0, created timestamptz DEFAULT now());
CREATE TABLE artist_credit_name (artist_credit integer NOT NULL REFERENCES artist_credit (id) ON DELETE CASCADE,
                                 position smallint NOT NULL,
                                 artist integer NOT NULL,           -- undeclared -> artist
                                 name varchar NOT NULL, join_phrase text NOT NULL DEFAULT '',
                                 PRIMARY KEY (artist_credit, position));
CREATE TABLE release_group (id serial PRIMARY KEY, gid uuid NOT NULL UNIQUE, name varchar NOT NULL,
                            artist_credit integer NOT NULL REFERENCES artist_credit (id),
                            type integer, comment varchar(255) NOT NULL DEFAULT '',
                            edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now());
CREATE TABLE release (id serial PRIMARY KEY, gid uuid NOT NULL UNIQUE, name varchar NOT NULL,
                      artist_credit integer NOT NULL REFERENCES artist_credit (id),
                      release_group integer NOT NULL,               -- undeclared -> release_group
                      status integer, barcode varchar(255), comment varchar(255) NOT NULL DEFAULT '',
                      edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now());
CREATE TABLE label (id serial PRIMARY KEY, gid uuid NOT NULL UNIQUE, name varchar NOT NULL, label_code integer,
                    area integer,                                   -- undeclared -> area
                    comment varchar(255) NOT NULL DEFAULT '', edits_pending integer NOT NULL DEFAULT 0,
                    last_updated timestamptz DEFAULT now());
CREATE TABLE link_type (id serial PRIMARY KEY, parent integer REFERENCES link_type (id), gid uuid NOT NULL UNIQUE,
                        entity_type0 varchar(50) NOT NULL, entity_type1 varchar(50) NOT NULL, name varchar(255) NOT NULL,
                        link_phrase varchar(255) NOT NULL, last_updated timestamptz DEFAULT now());
CREATE TABLE link (id serial PRIMARY KEY, link_type integer NOT NULL REFERENCES link_type (id),
                   begin_date_year smallint, end_date_year smallint, attribute_count integer NOT NULL DEFAULT 0,
                   created timestamptz DEFAULT now(), ended boolean NOT NULL DEFAULT false);

-- generic relationship tables: entity0 is the first table of the name, entity1 the second
CREATE TABLE l_artist_artist (id serial PRIMARY KEY, link integer NOT NULL REFERENCES link (id),
                              entity0 integer NOT NULL REFERENCES artist (id),
                              entity1 integer NOT NULL REFERENCES artist (id),
                              edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now(),
                              link_order integer NOT NULL DEFAULT 0, entity0_credit text NOT NULL DEFAULT '',
                              entity1_credit text NOT NULL DEFAULT '');
CREATE TABLE l_artist_recording (id serial PRIMARY KEY, link integer NOT NULL,   -- undeclared -> link
                                 entity0 integer NOT NULL,                       -- undeclared -> artist
                                 entity1 integer NOT NULL,                       -- undeclared -> recording
                                 edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now(),
                                 link_order integer NOT NULL DEFAULT 0, entity0_credit text NOT NULL DEFAULT '',
                                 entity1_credit text NOT NULL DEFAULT '');
CREATE TABLE l_artist_release (id serial PRIMARY KEY, link integer NOT NULL REFERENCES link (id),
                               entity0 integer NOT NULL,                         -- undeclared -> artist
                               entity1 integer NOT NULL,                         -- undeclared -> release
                               edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now(),
                               link_order integer NOT NULL DEFAULT 0, entity0_credit text NOT NULL DEFAULT '',
                               entity1_credit text NOT NULL DEFAULT '');
CREATE TABLE l_label_release (id serial PRIMARY KEY, link integer NOT NULL REFERENCES link (id),
                              entity0 integer NOT NULL REFERENCES label (id),
                              entity1 integer NOT NULL REFERENCES release (id),
                              edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now(),
                              link_order integer NOT NULL DEFAULT 0, entity0_credit text NOT NULL DEFAULT '',
                              entity1_credit text NOT NULL DEFAULT '');
CREATE TABLE l_recording_release (id serial PRIMARY KEY, link integer NOT NULL REFERENCES link (id),
                                  entity0 integer NOT NULL REFERENCES recording (id),
                                  entity1 integer NOT NULL REFERENCES release (id),
                                  edits_pending integer NOT NULL DEFAULT 0, last_updated timestamptz DEFAULT now(),
                                  link_order integer NOT NULL DEFAULT 0, entity0_credit text NOT NULL DEFAULT '',
                                  entity1_credit text NOT NULL DEFAULT '');

CREATE TABLE annotation (id serial PRIMARY KEY, editor integer NOT NULL REFERENCES editor (id), text text,
                         changelog varchar(255), created timestamptz DEFAULT now());
CREATE TABLE artist_annotation (artist integer NOT NULL REFERENCES artist (id),
                                annotation integer NOT NULL REFERENCES annotation (id),
                                PRIMARY KEY (artist, annotation));
CREATE TABLE recording_annotation (recording integer NOT NULL,                   -- undeclared -> recording
                                   annotation integer NOT NULL REFERENCES annotation (id),
                                   PRIMARY KEY (recording, annotation));
CREATE TABLE release_annotation (release integer NOT NULL REFERENCES release (id),
                                 annotation integer NOT NULL,                    -- undeclared -> annotation
                                 PRIMARY KEY (release, annotation));
CREATE TABLE label_annotation (label integer NOT NULL REFERENCES label (id),
                               annotation integer NOT NULL REFERENCES annotation (id),
                               PRIMARY KEY (label, annotation));

CREATE TABLE edit (id serial PRIMARY KEY, editor integer NOT NULL REFERENCES editor (id), type smallint NOT NULL,
                   status smallint NOT NULL, data jsonb NOT NULL, open_time timestamptz DEFAULT now(),
                   close_time timestamptz, expire_time timestamptz NOT NULL);
CREATE TABLE edit_note (id serial PRIMARY KEY,
                        editor integer NOT NULL,                                 -- undeclared -> editor
                        edit integer NOT NULL REFERENCES edit (id), text text NOT NULL,
                        post_time timestamptz DEFAULT now());
CREATE TABLE editor_subscribe_editor (id serial PRIMARY KEY, editor integer NOT NULL REFERENCES editor (id),
                                      subscribed_editor integer NOT NULL,        -- undeclared -> editor
                                      last_edit_sent integer NOT NULL);          -- weak: the last edit mailed
-- a replication bookkeeping table with a unique NOT NULL key but no primary key
CREATE TABLE replication_control (current_schema_sequence integer NOT NULL, current_replication_sequence integer,
                                  last_replication_date timestamptz);
CREATE UNIQUE INDEX replication_control_idx ON replication_control (current_schema_sequence);
