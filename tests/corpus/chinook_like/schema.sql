-- A music-store sample in the style of the classic cross-database teaching schemas: quoted PascalCase tables and
-- columns ("Album"."AlbumId"), integer keys, a self-reference named after a role ("ReportsTo"), a reference to
-- employees named after a role ("SupportRepId"), no timestamps at all. Some foreign keys were lost in the port.

CREATE TABLE "Artist" ("ArtistId" integer PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "Album" ("AlbumId" integer PRIMARY KEY, "Title" varchar(160) NOT NULL,
                      "ArtistId" integer NOT NULL REFERENCES "Artist" ("ArtistId"));
CREATE TABLE "Genre" ("GenreId" integer PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "MediaType" ("MediaTypeId" integer PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "Track" ("TrackId" integer PRIMARY KEY, "Name" varchar(200) NOT NULL,
                      "AlbumId" integer REFERENCES "Album" ("AlbumId"),
                      "MediaTypeId" integer NOT NULL REFERENCES "MediaType" ("MediaTypeId"),
                      "GenreId" integer,                                   -- undeclared
                      "Composer" varchar(220), "Milliseconds" integer NOT NULL, "Bytes" integer,
                      "UnitPrice" numeric(10,2) NOT NULL);
CREATE TABLE "Playlist" ("PlaylistId" integer PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "PlaylistTrack" ("PlaylistId" integer NOT NULL REFERENCES "Playlist" ("PlaylistId"),
                              "TrackId" integer NOT NULL,                  -- undeclared
                              PRIMARY KEY ("PlaylistId", "TrackId"));
CREATE TABLE "Employee" ("EmployeeId" integer PRIMARY KEY, "LastName" varchar(20) NOT NULL,
                         "FirstName" varchar(20) NOT NULL, "Title" varchar(30),
                         "ReportsTo" integer,                               -- undeclared: the manager
                         "BirthDate" timestamp, "HireDate" timestamp, "Address" varchar(70), "City" varchar(40),
                         "State" varchar(40), "Country" varchar(40), "PostalCode" varchar(10),
                         "Phone" varchar(24), "Fax" varchar(24), "Email" varchar(60));
CREATE TABLE "Customer" ("CustomerId" integer PRIMARY KEY, "FirstName" varchar(40) NOT NULL,
                         "LastName" varchar(20) NOT NULL, "Company" varchar(80), "Address" varchar(70),
                         "City" varchar(40), "State" varchar(40), "Country" varchar(40), "PostalCode" varchar(10),
                         "Phone" varchar(24), "Fax" varchar(24), "Email" varchar(60) NOT NULL,
                         "SupportRepId" integer REFERENCES "Employee" ("EmployeeId"));
CREATE TABLE "Invoice" ("InvoiceId" integer PRIMARY KEY,
                        "CustomerId" integer NOT NULL,                      -- undeclared
                        "InvoiceDate" timestamp NOT NULL, "BillingAddress" varchar(70), "BillingCity" varchar(40),
                        "BillingState" varchar(40), "BillingCountry" varchar(40), "BillingPostalCode" varchar(10),
                        "Total" numeric(10,2) NOT NULL);
CREATE TABLE "InvoiceLine" ("InvoiceLineId" integer PRIMARY KEY,
                            "InvoiceId" integer NOT NULL REFERENCES "Invoice" ("InvoiceId"),
                            "TrackId" integer NOT NULL REFERENCES "Track" ("TrackId"),
                            "UnitPrice" numeric(10,2) NOT NULL, "Quantity" integer NOT NULL);
