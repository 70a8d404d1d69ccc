// Package modelio is the envelope every Shelfwise model is stored in: a
// magic number, the model kind, a format version, the payload length and a
// SHA-256 checksum. Opening a file of the wrong kind, a newer version, a
// truncated file or one whose bytes changed gives a clear error instead of a
// silently wrong model. It also offers a small little-endian Encoder and
// Decoder (with a sticky error) that model packages use for their payloads.
// It does no I/O itself: it works on byte slices.
package modelio
