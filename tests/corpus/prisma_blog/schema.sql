-- A Prisma application with relationMode = "prisma": the relations live in schema.prisma and the database holds no
-- foreign keys, only the indexes Prisma asks for. Quoted CamelCase tables and camelCase columns, text ids (cuid),
-- "createdAt"/"updatedAt" timestamps, the implicit many-to-many table "_CategoryToPost" with columns "A" and "B",
-- and NextAuth-style "Account"/"Session" tables whose provider account ids are ids in another system.

CREATE TABLE "User" ("id" text PRIMARY KEY, "email" text NOT NULL, "name" text, "image" text,
                     "role" text NOT NULL DEFAULT 'USER',
                     "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamp(3) NOT NULL);
CREATE UNIQUE INDEX "User_email_key" ON "User" ("email");
CREATE TABLE "Profile" ("id" text PRIMARY KEY, "bio" text, "website" text, "userId" text NOT NULL);
CREATE UNIQUE INDEX "Profile_userId_key" ON "Profile" ("userId");
CREATE TABLE "Post" ("id" text PRIMARY KEY, "title" text NOT NULL, "slug" text NOT NULL, "content" text,
                     "published" boolean NOT NULL DEFAULT false, "authorId" text NOT NULL,
                     "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamp(3) NOT NULL);
CREATE INDEX "Post_authorId_idx" ON "Post" ("authorId");
CREATE UNIQUE INDEX "Post_slug_key" ON "Post" ("slug");
CREATE TABLE "Comment" ("id" text PRIMARY KEY, "body" text NOT NULL, "postId" text NOT NULL, "authorId" text NOT NULL,
                        "parentId" text,
                        "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamp(3) NOT NULL);
CREATE INDEX "Comment_postId_idx" ON "Comment" ("postId");
CREATE INDEX "Comment_authorId_idx" ON "Comment" ("authorId");
CREATE TABLE "Category" ("id" text PRIMARY KEY, "name" text NOT NULL,
                         "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" timestamp(3) NOT NULL);
CREATE TABLE "_CategoryToPost" ("A" text NOT NULL, "B" text NOT NULL);
CREATE UNIQUE INDEX "_CategoryToPost_AB_unique" ON "_CategoryToPost" ("A", "B");
CREATE INDEX "_CategoryToPost_B_index" ON "_CategoryToPost" ("B");
CREATE TABLE "Like" ("postId" text NOT NULL, "userId" text NOT NULL,
                     "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY ("postId", "userId"));
CREATE TABLE "Account" ("id" text PRIMARY KEY, "userId" text NOT NULL, "type" text NOT NULL, "provider" text NOT NULL,
                        "providerAccountId" text NOT NULL, "refresh_token" text, "access_token" text,
                        "expires_at" integer, "token_type" text, "scope" text, "id_token" text);
CREATE UNIQUE INDEX "Account_provider_providerAccountId_key" ON "Account" ("provider", "providerAccountId");
CREATE TABLE "Session" ("id" text PRIMARY KEY, "sessionToken" text NOT NULL, "userId" text NOT NULL,
                        "expires" timestamp(3) NOT NULL);
CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session" ("sessionToken");
CREATE TABLE "VerificationToken" ("identifier" text NOT NULL, "token" text NOT NULL, "expires" timestamp(3) NOT NULL);
CREATE UNIQUE INDEX "VerificationToken_token_key" ON "VerificationToken" ("token");
CREATE UNIQUE INDEX "VerificationToken_identifier_token_key" ON "VerificationToken" ("identifier", "token");
CREATE TABLE "_prisma_migrations" ("id" varchar(36) PRIMARY KEY, "checksum" varchar(64) NOT NULL,
                                   "finished_at" timestamptz, "migration_name" varchar(255) NOT NULL, "logs" text,
                                   "rolled_back_at" timestamptz, "started_at" timestamptz NOT NULL DEFAULT now(),
                                   "applied_steps_count" integer NOT NULL DEFAULT 0);
