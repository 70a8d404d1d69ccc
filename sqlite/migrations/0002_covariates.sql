-- Shelfwise embedded store, schema version 2: covariates (temperature, fuel
-- price, CPI, unemployment, markdowns, profit...) per store x product x
-- date. Names are dictionary-coded like SKUs and stores; sku_id and
-- store_id 0 mean "every product" and "every store". t: Unix milliseconds
-- UTC of the start of the period the value describes.
CREATE TABLE covariate_dict (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);

CREATE TABLE covariates (
    id        INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    name_id   INTEGER NOT NULL,
    store_id  INTEGER NOT NULL,
    sku_id    INTEGER NOT NULL,
    t         INTEGER NOT NULL,
    value     REAL NOT NULL
);
CREATE INDEX covariates_key ON covariates(name_id, store_id, sku_id, t);
