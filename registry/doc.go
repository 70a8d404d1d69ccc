// Package registry keeps what the Shelfwise service needs beside the data
// store: the model registry (versions with their evaluation metrics, data
// snapshot and checksummed artifacts; promote and roll back), the API keys
// (stored as SHA-256 hashes) and the background job queue (in-process
// workers, with job status recorded so it survives restarts).
//
// It has its own SQLite database, registry.db in the data directory, opened
// in WAL mode with synchronous=FULL, so it never competes with the store's
// schema or its writer. Artifacts are files under models/ in the data
// directory, written to a temporary name, synced and renamed, and checked
// against their SHA-256 on every read.
//
// Manager ties the three together for the server: it registers each task's
// trainer as a "retrain" job, promotes a new version only when its
// evaluation is no worse than the served one (Policy.Tolerance), and swaps
// the served model atomically (Slot), so readers never see a half-loaded
// model.
package registry
