-- Shelfwise embedded store, schema version 1.
-- Dictionary tables map repeated strings to integer ids; id 0 always means
-- "empty" (anonymous customer, no store, no invoice...) and has no row.
CREATE TABLE sku_dict      (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE store_dict    (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE customer_dict (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE invoice_dict  (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE session_dict  (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE country_dict  (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);

-- One row per import. fingerprint is NULL while the import is in progress
-- (inside its transaction) and set at commit; UNIQUE rejects a second import
-- of the same normalised data.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    fingerprint TEXT UNIQUE,
    format      TEXT NOT NULL,
    source      TEXT NOT NULL,
    started     INTEGER NOT NULL,
    report      TEXT
);

CREATE TABLE products (
    sku_id      INTEGER PRIMARY KEY REFERENCES sku_dict(id),
    name        TEXT NOT NULL DEFAULT '',
    department  TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    subcategory TEXT NOT NULL DEFAULT '',
    brand       TEXT NOT NULL DEFAULT '',
    attributes  TEXT NOT NULL DEFAULT '',
    non_product INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX products_hierarchy ON products(department, category, subcategory);

CREATE TABLE stores (
    store_id   INTEGER PRIMARY KEY REFERENCES store_dict(id),
    name       TEXT NOT NULL DEFAULT '',
    region     TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL DEFAULT '',
    size       REAL NOT NULL DEFAULT 0,
    attributes TEXT NOT NULL DEFAULT ''
);

-- kind: 0 sale, 1 return, 2 adjustment. t: Unix milliseconds UTC.
CREATE TABLE order_lines (
    id          INTEGER PRIMARY KEY,
    import_id   INTEGER NOT NULL,
    t           INTEGER NOT NULL,
    invoice_id  INTEGER NOT NULL,
    store_id    INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    sku_id      INTEGER NOT NULL,
    quantity    REAL NOT NULL,
    unit_price  REAL NOT NULL,
    discount    REAL NOT NULL,
    kind        INTEGER NOT NULL,
    country_id  INTEGER NOT NULL
);
CREATE INDEX order_lines_t ON order_lines(t);
CREATE INDEX order_lines_customer ON order_lines(customer_id) WHERE customer_id <> 0;


-- type: 1 view, 2 search, 3 cart, 4 purchase.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    import_id   INTEGER NOT NULL,
    t           INTEGER NOT NULL,
    session_id  INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    type        INTEGER NOT NULL,
    sku_id      INTEGER NOT NULL,
    query       TEXT NOT NULL,
    quantity    REAL NOT NULL,
    price       REAL NOT NULL,
    store_id    INTEGER NOT NULL
);
CREATE INDEX events_t ON events(t);
CREATE INDEX events_customer ON events(customer_id) WHERE customer_id <> 0;
CREATE INDEX events_session ON events(session_id, t);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    import_id   INTEGER NOT NULL,
    session_id  INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    start       INTEGER,
    features    TEXT NOT NULL,
    categorical TEXT NOT NULL,
    purchased   INTEGER NOT NULL
);
CREATE INDEX sessions_customer ON sessions(customer_id) WHERE customer_id <> 0;

-- grain: 0 day, 1 week, 2 period. day: days since 1970-01-01 (NULL for
-- period series); period: the position or the dataset's own week number.
CREATE TABLE sales_points (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    sku_id    INTEGER NOT NULL,
    store_id  INTEGER NOT NULL,
    grain     INTEGER NOT NULL,
    day       INTEGER,
    period    INTEGER NOT NULL,
    units     REAL NOT NULL,
    revenue   REAL NOT NULL,
    price     REAL NOT NULL,
    feature   REAL NOT NULL,
    display   REAL NOT NULL,
    deal      REAL NOT NULL,
    available INTEGER NOT NULL,
    censored  INTEGER NOT NULL
);
CREATE INDEX sales_points_key ON sales_points(sku_id, store_id, grain, day, period);

-- start/end: Unix milliseconds; end NULL = until further notice.
CREATE TABLE prices (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    sku_id    INTEGER NOT NULL,
    store_id  INTEGER NOT NULL,
    start     INTEGER NOT NULL,
    end       INTEGER,
    price     REAL NOT NULL
);
CREATE INDEX prices_key ON prices(sku_id, store_id, start);

CREATE TABLE promotions (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    sku_id    INTEGER NOT NULL,
    store_id  INTEGER NOT NULL,
    start     INTEGER NOT NULL,
    end       INTEGER,
    kind      TEXT NOT NULL,
    discount  REAL NOT NULL,
    value     REAL NOT NULL
);
CREATE INDEX promotions_key ON promotions(sku_id, store_id, start);

CREATE TABLE stock_levels (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    sku_id    INTEGER NOT NULL,
    store_id  INTEGER NOT NULL,
    t         INTEGER NOT NULL,
    on_hand   REAL NOT NULL
);
CREATE INDEX stock_levels_key ON stock_levels(sku_id, store_id, t);

CREATE TABLE calendar_events (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    t         INTEGER NOT NULL,
    name      TEXT NOT NULL,
    type      TEXT NOT NULL,
    region    TEXT NOT NULL,
    store_id  INTEGER NOT NULL
);
CREATE INDEX calendar_events_t ON calendar_events(t);

-- Idempotency keys of live AddEvents calls, written in the same transaction
-- as the events they guard.
CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    t   INTEGER NOT NULL
) WITHOUT ROWID;

-- Privacy audit log: what was done, when and to how many rows; never whom.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    t      INTEGER NOT NULL,
    action TEXT NOT NULL,
    count  INTEGER NOT NULL
);

-- Per-customer caches that later packages fill (RFM and lifetime-value
-- features, recommendation lists), keyed by the customer pseudonym so that
-- EraseCustomer can clear them.
CREATE TABLE customer_features (
    customer TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    updated  INTEGER NOT NULL,
    PRIMARY KEY (customer, name)
) WITHOUT ROWID;

CREATE TABLE recommendation_cache (
    customer TEXT NOT NULL,
    model    TEXT NOT NULL,
    payload  TEXT NOT NULL,
    created  INTEGER NOT NULL,
    PRIMARY KEY (customer, model)
) WITHOUT ROWID;
