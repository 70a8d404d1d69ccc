package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// benchServer starts an in-process server (with the default per-key rate
// limit, so the benchmarks show it does not stand in the way of the
// targets) on a fresh data directory, after setup has filled it, and
// returns it with an admin key.
func benchServer(b *testing.B, setup func(m *Main) error, trainMissing bool) (*Serving, string) {
	b.Helper()
	ctx := context.Background()
	m := NewMain()
	m.DataDir = b.TempDir()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	if setup != nil {
		if err := setup(m); err != nil {
			b.Fatal(err)
		}
	}
	s, err := m.StartServer(ctx, ServeOptions{Addr: "127.0.0.1:0", TrainMissing: trainMissing})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Shutdown(ctx); m.Close() })
	_, key, err := s.Keys.CreateKey(ctx, shelfwise.RoleAdmin, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return s, key
}

func benchBatch(id, n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"events":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"time":"2023-05-01T10:%02d:%02dZ","session":"s%d","customer":"cust-%06d","type":"view","sku":"P%d"}`,
			(i/60)%60, i%60, id, 1+(id*7+i)%500, i%300)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

func post(c *http.Client, url, key, idem string, body []byte) error {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// BenchmarkServeIngest posts batches of 500 events from 4 concurrent
// clients over loopback; each response comes after a durable commit
// (SQLite WAL, synchronous=FULL). One op is one batch.
func BenchmarkServeIngest(b *testing.B) {
	s, key := benchServer(b, nil, false)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = benchBatch(i, 500)
	}
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				if err := post(c, s.URL+"/v1/events", key, fmt.Sprintf("b%d", i), bodies[i%len(bodies)]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*500)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkServeRecommend asks for recommendations for random customers of
// a simulated chain (500 customers, 200 products) over loopback, with three
// kinds of concurrent ingest:
//
//   - NoIngest: requests alone.
//   - IngestOthers: another client ingests 2,000 events/s (batches of 100)
//     of other customers on catalogue products: the engine records every
//     event, but the requesting customers' cached lists stay valid.
//   - IngestSame: the same 2,000 events/s come from the requesting
//     customers, so each event drops that customer's cached list and the
//     next request folds the customer in and ranks again (the hardest
//     case: every customer active on the site while asking).
//
// Max/... measures capacity: 8 clients send requests back to back
// (closed loop; latencies there are queueing at saturation). Rate3000/...
// measures latency at the target load: requests are sent at 3,000/s on a
// fixed schedule by as many clients as needed (open loop), and each latency
// counts from the request's scheduled time, so a server that falls behind
// is charged for the wait.
//
// Every sub-benchmark reports requests/s, p50/p99 latency, the events/s
// ingested, the CPU time of the whole process (server, clients, ingest)
// per request, over the measured phase only, and the machine's load
// average at its end (latency tails follow the other processes' load on
// the two cores): simulating the chain and training the model happen
// once, before the sub-benchmarks. The server runs with the default
// per-key rate limit. One op is one recommendation request.
func BenchmarkServeRecommend(b *testing.B) {
	s, key := benchServer(b, func(m *Main) error {
		return m.Run(context.Background(), []string{"simulate", "--db", m.DataDir, "--stores", "3",
			"--products", "200", "--customers", "500", "--days", "240"})
	}, false)
	// Only the recommend model: training the others would compete with
	// the measured phase for the two cores.
	if _, err := s.Server.Config().Manager.Retrain(context.Background(), shelfwise.TaskRecommend); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if _, err := s.Server.Config().Models.Current(context.Background(), shelfwise.TaskRecommend); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("no recommend model promoted within 10 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	skus, err := benchSKUs(s, key)
	if err != nil {
		b.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	ingest := []struct {
		name  string
		batch func(i int) []byte
	}{
		{"NoIngest", nil},
		{"IngestOthers", func(i int) []byte { return liveBatch(i, 100, skus, 501) }},
		{"IngestSame", func(i int) []byte { return liveBatch(i, 100, skus, 1) }},
	}
	// The target first: IngestSame leaves every customer with live events
	// that the engine keeps until the next retrain, which makes the
	// customers of later sub-benchmarks more costly to rank.
	for _, in := range ingest {
		b.Run("Rate3000/"+in.name, func(b *testing.B) { benchRecommend(b, s, key, c, in.batch, 3000) })
	}
	for _, in := range ingest {
		b.Run("Max/"+in.name, func(b *testing.B) { benchRecommend(b, s, key, c, in.batch, 0) })
	}
}

// benchRecommend measures recommendation requests while batch(i), if not
// nil, is posted every 50 ms (catching up when late). With rate 0, 8
// clients send back to back; otherwise 32 clients send requests due at
// rate/s.
func benchRecommend(b *testing.B, s *Serving, key string, c *http.Client, batch func(i int) []byte, rate float64) {
	clients := 8
	if rate > 0 {
		clients = 32 // so one slow answer holds up few of the requests due after it
	}
	// The open loop sends 3,000 requests/s with one key, within the
	// default per-key limit (DefaultRateLimit); the closed loop measures
	// capacity, beyond one key's limit, so each of its clients has a key.
	keys := make([]string, clients)
	for w := range keys {
		keys[w] = key
		if rate == 0 {
			_, k, err := s.Keys.CreateKey(context.Background(), shelfwise.RoleApp, fmt.Sprintf("bench client %d", w))
			if err != nil {
				b.Fatal(err)
			}
			keys[w] = k
		}
	}
	// Open the clients' connections and warm the server's caches, outside
	// the clock.
	var warm errgroup
	for w := range clients {
		warm.Go(func() error {
			for i := w; i < 500; i += clients {
				if err := getRecs(c, s.URL, keys[w], 1+i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := warm.Wait(); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	ingestDone := make(chan struct{})
	var ingested atomic.Int64
	go func() {
		defer close(ingestDone)
		if batch == nil {
			return
		}
		t0 := time.Now()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Until(t0.Add(time.Duration(i) * 50 * time.Millisecond))):
			}
			if post(c, s.URL+"/v1/events", key, "", batch(i)) == nil {
				ingested.Add(100)
			}
		}
	}()
	lats := make([][]time.Duration, clients)
	var failed atomic.Value
	stopProfile := benchProfile(b)
	start, cpu0 := time.Now(), processCPU()
	if rate == 0 {
		// Closed loop: each client sends its next request when the last
		// one is answered.
		work := make(chan struct{}, clients)
		var wg sync.WaitGroup
		for w := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for range work {
					t0 := time.Now()
					if err := getRecs(c, s.URL, keys[w], 1+rng.IntN(500)); err != nil {
						failed.CompareAndSwap(nil, err)
						continue
					}
					lats[w] = append(lats[w], time.Since(t0))
				}
			}()
		}
		for b.Loop() {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
	} else {
		// Open loop: request j is due at start + j/rate; client j%clients
		// sends it then (or at once when late) and its latency counts from
		// when it was due.
		b.ResetTimer()
		var wg sync.WaitGroup
		for w := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for j := w; j < b.N; j += clients {
					due := start.Add(time.Duration(float64(j) / rate * float64(time.Second)))
					time.Sleep(time.Until(due))
					if err := getRecs(c, s.URL, keys[w], 1+rng.IntN(500)); err != nil {
						failed.CompareAndSwap(nil, err)
						continue
					}
					lats[w] = append(lats[w], time.Since(due))
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
	}
	el, cpu := time.Since(start), processCPU()-cpu0
	stopProfile()
	close(stop)
	<-ingestDone
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for _, l := range lats {
		lat = append(lat, l...)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat))/el.Seconds(), "req/s")
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(ingested.Load())/el.Seconds(), "ingest-events/s")
	if rc, ok := s.Server.Config().Recommender.(*recommendCap); ok {
		// Whether the served model re-ranks with its boosted trees (kept
		// when its validation gain is positive): it costs several times
		// the blend per ranked list, which is what IngestSame pays for.
		rerank := 0.0
		if e := rc.eng.Load(); e != nil && e.Model().All.Rerank != nil {
			rerank = 1
		}
		b.ReportMetric(rerank, "reranker")
	}
	if l := loadAverage(); l >= 0 {
		// The machine's 1-minute load average at the end: other processes
		// share the two cores, and latency tails follow their load.
		b.ReportMetric(l, "load1")
	}
	if cpu > 0 && len(lat) > 0 {
		// Server, clients and ingest together, per request.
		b.ReportMetric(float64(cpu.Microseconds())/float64(len(lat)), "cpu-µs/req")
	}
}

// benchProfile writes a CPU profile of the measured phase alone (not of
// the setup, which -cpuprofile would include) to the file named by
// SHELFWISE_BENCH_CPUPROFILE (with the sub-benchmark's name appended), if
// set. It returns the function that stops it.
func benchProfile(b *testing.B) func() {
	path := os.Getenv("SHELFWISE_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path + "." + strings.ReplaceAll(b.Name(), "/", "_"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// loadAverage returns the 1-minute load average of the machine, or -1
// where /proc/loadavg cannot be read.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	var l float64
	if _, err := fmt.Sscan(string(b), &l); err != nil {
		return -1
	}
	return l
}

// getRecs asks for 10 recommendations for simulated customer i.
func getRecs(c *http.Client, base, key string, i int) error {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/customers/cust-%06d/recommendations?n=10", base, i), nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET recommendations: status %d", resp.StatusCode)
	}
	return nil
}

// benchSKUs returns the simulated catalogue's SKUs, so live events name
// products the model knows (and move its recommendations).
func benchSKUs(s *Serving, key string) ([]string, error) {
	req, _ := http.NewRequest("GET", s.URL+"/v1/products?limit=100000", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Products []struct {
			SKU string `json:"sku"`
		} `json:"products"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	skus := make([]string, len(out.Products))
	for i, p := range out.Products {
		skus[i] = p.SKU
	}
	if len(skus) == 0 {
		return nil, fmt.Errorf("the simulated catalogue is empty")
	}
	return skus, nil
}

// liveBatch is batch id of n live events (views, carts and purchases) of
// customers first .. first+499 on products of skus (the simulated
// customers are 1 .. 500).
func liveBatch(id, n int, skus []string, first int) []byte {
	types := [...]string{"view", "view", "view", "cart", "purchase"}
	var sb strings.Builder
	sb.WriteString(`{"events":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		k := id*n + i
		fmt.Fprintf(&sb, `{"time":"2023-09-15T10:%02d:%02dZ","session":"live%d","customer":"cust-%06d","type":"%s","sku":"%s"}`,
			(k/60)%60, k%60, id, first+(k*7919)%500, types[k%len(types)], skus[(k*31)%len(skus)])
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// errgroup runs functions concurrently and returns the first error.
type errgroup struct {
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

func (g *errgroup) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err })
		}
	}()
}

func (g *errgroup) Wait() error {
	g.wg.Wait()
	return g.err
}
