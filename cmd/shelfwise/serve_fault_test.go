package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/sqlite"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// shelfwiseBinary builds the command once per test run.
func shelfwiseBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shelfwise-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "shelfwise")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// server is a "shelfwise serve" child process.
type server struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
}

// startServe runs "shelfwise serve" on dir at a free loopback port and
// waits until it is ready.
func startServe(t *testing.T, bin, dir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--db", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	urlc := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "is serving "); ok {
				urlc <- strings.Fields(rest)[0]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s.url = <-urlc:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start: %s", s.stderr)
	}
	for range 200 {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve not ready: %s", s.stderr)
	return nil
}

// createKey runs "shelfwise keys create" and returns the secret.
func createKey(t *testing.T, bin, dir, role string) string {
	t.Helper()
	out, err := exec.Command(bin, "keys", "create", "--db", dir, "--role", role).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

const faultBatch = 50

// faultBody is batch b: faultBatch view events in session "b<b>".
func faultBody(b int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"events":[`)
	for i := range faultBatch {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"time":"2024-01-01T00:00:%02dZ","session":"b%d","customer":"cust-%d","type":"view","sku":"S%d"}`,
			i%60, b, b%97, i)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// postBatch sends batch b with its idempotency key; it reports whether the
// server acknowledged it.
func postBatch(c *http.Client, url, key string, b int) (bool, error) {
	req, _ := http.NewRequest("POST", url+"/v1/events", bytes.NewReader(faultBody(b)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("batch-%d", b))
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return false, fmt.Errorf("status %d", resp.StatusCode)
	}
	return true, nil
}

// TestServeSIGKILL kills the server with SIGKILL during continuous ingest
// from 4 clients, restarts it, retries every batch that was not
// acknowledged, and checks that every batch, acknowledged or retried, is
// stored exactly once.
func TestServeSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary; skipped with -short")
	}
	bin := shelfwiseBinary(t)
	dir := t.TempDir()
	key := createKey(t, bin, dir, "app")
	srv := startServe(t, bin, dir, "--train-missing=false")

	var next atomic.Int64
	var mu sync.Mutex
	acked := map[int]bool{}
	sent := map[int]bool{}
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1))
				mu.Lock()
				sent[b] = true
				mu.Unlock()
				ok, err := postBatch(client, srv.url, key, b)
				if err != nil {
					return // the server is gone
				}
				if ok {
					mu.Lock()
					acked[b] = true
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a good number of batches were acknowledged.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	srv.cmd.Wait()
	wg.Wait()
	t.Logf("killed after %d acknowledged of %d sent batches", len(acked), len(sent))
	if len(acked) == 0 {
		t.Fatalf("no batch acknowledged before the kill: %s", srv.stderr)
	}

	// Restart and retry what was not acknowledged, with the same keys.
	srv2 := startServe(t, bin, dir, "--train-missing=false")
	retried := 0
	for b := range sent {
		if acked[b] {
			continue
		}
		if ok, err := postBatch(client, srv2.url, key, b); !ok {
			t.Fatalf("retry of batch %d: %v", b, err)
		}
		retried++
	}
	// A retry of an acknowledged batch is a no-op too.
	for b := range acked {
		if ok, err := postBatch(client, srv2.url, key, b); !ok {
			t.Fatalf("second retry of batch %d: %v", b, err)
		}
		break
	}
	srv2.cmd.Process.Signal(os.Interrupt)
	if err := srv2.cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v %s", err, srv2.stderr)
	}

	db, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	perSession := map[shelfwise.SessionID]int{}
	if err := db.Events(context.Background(), shelfwise.EventFilter{}, func(e shelfwise.Event) error {
		perSession[e.Session]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for b := range sent {
		if got := perSession[shelfwise.SessionID(fmt.Sprintf("b%d", b))]; got != faultBatch {
			t.Errorf("batch %d (acknowledged %v): %d events stored, want exactly %d", b, acked[b], got, faultBatch)
		}
	}
	if len(perSession) != len(sent) {
		t.Errorf("%d batches stored, %d sent", len(perSession), len(sent))
	}
	t.Logf("%d batches acknowledged before the kill, %d retried after restart, all stored exactly once", len(acked), retried)
}

// readJSON GETs path with key and decodes the body into v.
func readJSON(t *testing.T, url, key string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
