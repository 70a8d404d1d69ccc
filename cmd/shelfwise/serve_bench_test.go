package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// benchServer starts an in-process server (unlimited rate) on a fresh data
// directory, after setup has filled it, and returns it with an admin key.
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
	s, err := m.StartServer(ctx, ServeOptions{Addr: "127.0.0.1:0", RateLimit: -1, TrainMissing: trainMissing})
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
// a simulated chain (8 concurrent clients over loopback) while a ninth
// client ingests 2,000 events/s in batches of 100. It reports requests/s
// and latency percentiles. One op is one recommendation request.
func BenchmarkServeRecommend(b *testing.B) {
	s, key := benchServer(b, func(m *Main) error {
		return m.Run(context.Background(), []string{"simulate", "--db", m.DataDir, "--stores", "3",
			"--products", "200", "--customers", "500", "--days", "240"})
	}, true)
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
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	stop := make(chan struct{})
	var ingested atomic.Int64
	go func() { // 2,000 events/s: a batch of 100 every 50 ms
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-t.C:
				if post(c, s.URL+"/v1/events", key, "", benchBatch(i, 100)) == nil {
					ingested.Add(100)
				}
			}
		}
	}()
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4) // 4 x GOMAXPROCS clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
		var mine []time.Duration
		for pb.Next() {
			url := fmt.Sprintf("%s/v1/customers/cust-%06d/recommendations?n=10", s.URL, 1+rng.IntN(500))
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			t0 := time.Now()
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(t0))
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	el := time.Since(start)
	close(stop)
	b.StopTimer()
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
}
