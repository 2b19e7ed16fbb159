-- Phase 1 of the SQLite workload: builds /w/shop.db from nothing.
-- Run as `sqlite3 -bail /w/shop.db < build.sql`.  Every statement writes
-- through a rollback journal (/w/shop.db-journal), created and deleted by
-- each transaction; the results printed are the same on every run.
.headers on
.mode list
PRAGMA journal_mode = DELETE;
PRAGMA page_size = 4096;
PRAGMA cache_size = 20;

CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
CREATE TABLE item(id INTEGER PRIMARY KEY, label TEXT UNIQUE, price_cents INTEGER);
CREATE TABLE orders(
  id INTEGER PRIMARY KEY,
  customer INTEGER REFERENCES customer(id),
  item INTEGER REFERENCES item(id),
  qty INTEGER,
  note TEXT
);

-- The customer table from a CSV file in the read-only lower layer.
.import --csv --skip 1 /w/customers.csv customer

BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO item(id, label, price_cents)
  SELECT i, printf('item-%04d', i), (i * 7919) % 10000 + 99 FROM n;
COMMIT;

-- Enough rows (and long notes) that the cache of 20 pages spills to the
-- file in the middle of the transaction, and the journal grows large.
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO orders(id, customer, item, qty, note)
  SELECT i, 1 + (i * 31) % 12, 1 + (i * 17) % 300, 1 + i % 5,
         printf('order %d: %s', i, substr(hex(zeroblob(40 + i % 60)), 1, 40 + i % 97))
  FROM n;
COMMIT;
CREATE INDEX orders_by_customer ON orders(customer, item);

-- A transaction that is rolled back leaves no trace.
BEGIN;
DELETE FROM orders WHERE id % 2 = 0;
UPDATE item SET price_cents = 0;
SELECT 'inside rollback', count(*) FROM orders;
ROLLBACK;

-- A savepoint rolled back inside a committed transaction.
BEGIN;
UPDATE item SET price_cents = price_cents + 1 WHERE id <= 10;
SAVEPOINT sp;
DELETE FROM customer;
ROLLBACK TO sp;
RELEASE sp;
COMMIT;

SELECT 'customers', count(*) FROM customer;
SELECT 'items', count(*), sum(price_cents) FROM item;
SELECT 'orders', count(*), sum(qty), total(length(note)) FROM orders;
SELECT c.city, count(*) AS n, sum(o.qty * i.price_cents) AS revenue
  FROM orders o JOIN customer c ON c.id = o.customer JOIN item i ON i.id = o.item
  GROUP BY c.city ORDER BY revenue DESC, c.city;
SELECT name FROM customer WHERE city = 'Lyon' ORDER BY name;

-- A second database attached and filled from the first.  Each statement is
-- its own transaction: a transaction over both files would need a
-- super-journal, whose directory fsync wasmtime-wasi refuses (EBADF; see
-- README.md), so under wasmtime-wasi it fails where Strata commits it.
ATTACH DATABASE '/w/archive.db' AS archive;
CREATE TABLE archive.old_orders AS SELECT * FROM orders WHERE 0;
INSERT INTO archive.old_orders SELECT * FROM orders WHERE id <= 5000;
DELETE FROM orders WHERE id <= 5000;
SELECT 'archived', count(*) FROM archive.old_orders;
SELECT 'left', count(*) FROM orders;
DETACH DATABASE archive;

-- VACUUM rebuilds the file through a temporary database, which SQLite
-- creates in $TMPDIR (/w/tmp) and unlinks while it is still open.
VACUUM;
PRAGMA integrity_check;
.tables
.schema item

-- A copy made with the backup API, and an SQL dump written with .output.
.backup /w/copy.db
.output /w/dump.sql
.dump customer
.output stdout
SELECT 'done';
