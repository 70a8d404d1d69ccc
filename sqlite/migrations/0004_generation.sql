-- Shelfwise embedded store, schema version 4: the store's generation, which
-- every committed write transaction changes in the same transaction (see
-- DB.Version): a counter of writes and a random token drawn afresh at each,
-- so a reader can tell cheaply that nothing changed since it last looked,
-- even across a store deleted and re-created or restored from a backup
-- (whose counters may meet again, their tokens not).
CREATE TABLE store_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    token      BLOB NOT NULL
);
INSERT INTO store_generation(id, generation, token) VALUES (1, 0, randomblob(16));
