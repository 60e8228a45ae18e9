package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
)

// benchFanout measures an event's way from Publish (the bus producers
// hold) through the log (append, NOTIFY or in-process wake-up, read) and
// the hub to each of 100 SSE clients reading GET /events over loopback
// HTTP. One sample per client per event: the client's read time minus the
// Publish time. Events are published one after another once every client
// got the previous one.
func benchFanout(b *testing.B, st store.Store) {
	const clients = 100
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs, err := newEventStream(st, func(string) string { return "" }, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	stop := evs.start(ctx)
	defer stop()
	keys, err := api.ParseKeys(strings.NewReader(api.HashKey("bench")+" dispatcher bench"), "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := api.New(api.Config{Store: st, Keys: keys, Events: evs.publisher(), EventStream: evs.stream()})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer cancel() // end the streams before the server closes
	streams := make([]*sseStream, clients)
	for i := range streams {
		streams[i] = openStream(b, ts.URL, "types=case.changed", "bench", -1)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	lat := make([]time.Duration, 0, b.N*clients)
	var mu sync.Mutex
	load0, _ := os.ReadFile("/proc/loadavg")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		evs.publisher().Publish(ctx, events.New(events.CaseChanged, t0, nil, map[string]int{"n": i}))
		var wg sync.WaitGroup
		for _, s := range streams {
			wg.Add(1)
			go func(s *sseStream) {
				defer wg.Done()
				m := s.next(b, 30*time.Second, "fan-out")
				mu.Lock()
				lat = append(lat, m.at.Sub(t0))
				mu.Unlock()
			}(s)
		}
		wg.Wait()
	}
	b.StopTimer()
	load1, _ := os.ReadFile("/proc/loadavg")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(lat, 1).Microseconds())/1000, "max-ms")
	b.Logf("%d events × %d clients; loadavg before %s after %s", b.N, clients, strings.TrimSpace(string(load0)), strings.TrimSpace(string(load1)))
}

// BenchmarkEventFanoutPostGIS: Publish → 100 SSE clients on PostGIS
// (append with pg_notify, LISTEN wake-up, read, fan-out).
func BenchmarkEventFanoutPostGIS(b *testing.B) {
	db, err := postgis.Open(context.Background(), testenv.PostGIS(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	benchFanout(b, db)
}

// BenchmarkEventFanoutEmbedded: the same on the GeoPackage store.
func BenchmarkEventFanoutEmbedded(b *testing.B) {
	db, err := gpkg.Open(context.Background(), filepath.Join(b.TempDir(), "gridd.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	benchFanout(b, db)
}
