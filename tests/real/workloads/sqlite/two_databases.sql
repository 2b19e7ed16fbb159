-- One transaction over two database files.  SQLite commits it through a
-- super-journal (/w/a.db-mjXXXXXXXX, a random name) and fsyncs the directory
-- that holds it; the transaction either reaches both files or neither.
.headers off
.mode list
PRAGMA journal_mode = DELETE;
ATTACH DATABASE '/w/b.db' AS b;
CREATE TABLE main.t(x);
CREATE TABLE b.t(x);
BEGIN;
INSERT INTO main.t VALUES (1);
INSERT INTO b.t VALUES (2);
COMMIT;
SELECT (SELECT count(*) FROM main.t), (SELECT count(*) FROM b.t);
