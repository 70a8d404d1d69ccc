//go:build race

package main

// raceEnabled is true when tests run under the race detector, which makes
// the numeric-heavy demo many times slower.
const raceEnabled = true
