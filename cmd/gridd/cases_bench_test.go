package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/internal/testenv"
)

// startPukouPostGIS starts gridd on a new PostGIS database seeded with
// Pukou, with a dispatcher key "bench".
func startPukouPostGIS(b *testing.B) string {
	// A pool of 16 connections (pgxpool's default is 4 on 2 cores): an
	// intake holds its connection for a few round trips and a commit.
	dsn := testenv.PostGIS(b) + "&pool_max_conns=16"
	return startGridd(b, nil, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": api.HashKey("bench") + " dispatcher,intake bench"})
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

// BenchmarkIncidentsPostGIS is POST /incidents end to end (parse, locate,
// route, duplicate check, insert with the opening event) on PostGIS from
// 32 concurrent clients; it reports incidents/s and p50/p99 latency.
func BenchmarkIncidentsPostGIS(b *testing.B) {
	base := startPukouPostGIS(b)
	pk, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	cats, _ := cases.DefaultCategories()
	all := cats.All()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	const workers = 32
	var seq atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var fails atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := (b.N + workers - 1) / workers
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			mine := make([]time.Duration, 0, per)
			for range per {
				n := seq.Add(1)
				bl := pk.Buildings[rng.Intn(len(pk.Buildings))]
				body, _ := json.Marshal(map[string]any{"channel": string(cases.Channels[n%int64(len(cases.Channels))]),
					"external_id": fmt.Sprintf("bench-%d", n), "category": all[rng.Intn(len(all))].Code,
					"description": "bench", "reported_at": time.Now().UTC().Format(time.RFC3339),
					"location": map[string]any{"lon": bl.Loc[0], "lat": bl.Loc[1]}})
				req, _ := http.NewRequest("POST", base+"/incidents", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-Key", "bench")
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					fails.Add(1)
					continue
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				mine = append(mine, time.Since(t0))
				if res.StatusCode != http.StatusCreated {
					if fails.Add(1) == 1 {
						b.Logf("first failure: %d %s", res.StatusCode, raw)
					}
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if f := fails.Load(); f > 0 {
		b.Fatalf("%d of %d requests failed", f, len(lat))
	}
	b.ReportMetric(float64(len(lat))/el.Seconds(), "incidents/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkTransitionPostGIS is one case transition (POST
// /cases/{id}/events, action file) on PostGIS, one client at a time;
// it reports p50 and p99.
func BenchmarkTransitionPostGIS(b *testing.B) {
	base := startPukouPostGIS(b)
	pk, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	do := func(method, url string, body any) map[string]any {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, url, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", "bench")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %v", method, url, res.StatusCode, m)
		}
		return m
	}
	ids := make([]int, b.N)
	for i := range ids {
		bl := pk.Buildings[(i*37)%len(pk.Buildings)]
		m := do("POST", base+"/incidents", map[string]any{"channel": "video", "external_id": fmt.Sprintf("t-%d", i),
			"category": "oth_other", "reported_at": time.Now().UTC().Format(time.RFC3339),
			"location": map[string]any{"lon": bl.Loc[0] + float64(i)*1e-6, "lat": bl.Loc[1]}})
		ids[i] = int(m["case_id"].(float64))
	}
	seen := map[int]bool{}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, id := range ids {
		if seen[id] { // a duplicate linked to an earlier case
			continue
		}
		seen[id] = true
		t0 := time.Now()
		do("POST", fmt.Sprintf("%s/cases/%d/events", base, id), map[string]any{"action": "file"})
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}
