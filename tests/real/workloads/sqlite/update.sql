-- Phase 2 of the SQLite workload: changes /w/shop.db, which phase 1 left in
-- the read-only lower layer, so every page write lands in a file that is
-- first copied up.  Run as `sqlite3 -bail /w/shop.db < update.sql`.
.headers on
.mode list
-- TRUNCATE leaves an empty /w/shop.db-journal behind after each commit.
PRAGMA journal_mode = TRUNCATE;

SELECT 'before', count(*), sum(qty) FROM orders;
BEGIN;
UPDATE orders SET qty = qty * 2 WHERE customer IN (SELECT id FROM customer WHERE city = 'Paris');
DELETE FROM orders WHERE item % 7 = 0;
INSERT INTO customer(id, name, city) VALUES (13, 'Marius', 'Lyon');
COMMIT;
SELECT 'after', count(*), sum(qty) FROM orders;

CREATE TABLE city_total AS
  SELECT c.city, count(*) AS n, sum(o.qty) AS qty
  FROM orders o JOIN customer c ON c.id = o.customer GROUP BY c.city;
SELECT * FROM city_total ORDER BY city;

-- A write-ahead log: allowed on WASI when the lock is exclusive, so the
-- index lives in heap memory.  Closing the database checkpoints the log and
-- deletes /w/shop.db-wal.
PRAGMA locking_mode = EXCLUSIVE;
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 20001 UNION ALL SELECT i + 1 FROM n WHERE i < 23000)
INSERT INTO orders(id, customer, item, qty, note)
  SELECT i, 13, 1 + i % 300, 1, 'late order ' || i FROM n;
COMMIT;
SELECT 'wal rows', count(*) FROM orders WHERE customer = 13;
PRAGMA wal_checkpoint(TRUNCATE);
UPDATE item SET label = upper(label) WHERE id <= 3;
SELECT label FROM item WHERE id <= 4 ORDER BY id;
PRAGMA integrity_check;

-- The lower layer's copy made by phase 1 is only read.
ATTACH DATABASE '/w/copy.db' AS copy;
SELECT 'copy orders', count(*) FROM copy.orders;
SELECT 'done';
