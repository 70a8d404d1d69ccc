-- Shelfwise embedded store, schema version 3: stored forecasts. A run is
-- one "shelfwise forecast" of every series at a grain and level (level: the
-- sorted, comma-joined key fields); storing a run replaces the run of the
-- same grain and level. Each forecast row holds one series: its key fields
-- as text ('' = aggregated over), its origin (Unix milliseconds UTC, NULL
-- for period series, which use origin_period), the model used, and the
-- numbers as compact blobs of little-endian float64s (see sqlite/forecasts.go):
-- mean, quantile levels, quantiles (one vector per level) and components
-- (name, vector pairs).
CREATE TABLE forecast_runs (
    rid     INTEGER PRIMARY KEY,
    id      TEXT NOT NULL UNIQUE,
    model   TEXT NOT NULL,
    grain   TEXT NOT NULL,
    level   TEXT NOT NULL,
    origin  INTEGER,
    horizon INTEGER NOT NULL,
    created INTEGER NOT NULL,
    UNIQUE (grain, level)
);

CREATE TABLE forecasts (
    id            INTEGER PRIMARY KEY,
    run           INTEGER NOT NULL REFERENCES forecast_runs(rid) ON DELETE CASCADE,
    sku           TEXT NOT NULL,
    store         TEXT NOT NULL,
    department    TEXT NOT NULL,
    category      TEXT NOT NULL,
    subcategory   TEXT NOT NULL,
    origin        INTEGER,
    origin_period INTEGER NOT NULL,
    model         TEXT NOT NULL,
    mean          BLOB NOT NULL,
    levels        BLOB NOT NULL,
    quantiles     BLOB NOT NULL,
    components    BLOB NOT NULL
);
CREATE UNIQUE INDEX forecasts_key ON forecasts(run, sku, store, department, category, subcategory);
