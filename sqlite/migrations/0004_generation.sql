-- Shelfwise embedded store, schema version 4: the store's generation, a
-- counter that every committed write transaction raises in the same
-- transaction (see DB.Generation), so a reader can tell cheaply that
-- nothing changed since it last looked.
CREATE TABLE store_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO store_generation(id, generation) VALUES (1, 0);
