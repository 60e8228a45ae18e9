package api

import (
	"bufio"
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
)

func TestParseEventQuery(t *testing.T) {
	for _, c := range []struct {
		query, lastID string
		after         int64
		types         int
		bbox          bool
		field         string // the parameter an error names; "" for none
	}{
		{"", "", -1, 0, false, ""},
		{"after=0", "", 0, 0, false, ""},
		{"after=41", "", 41, 0, false, ""},
		{"after=41", "57", 57, 0, false, ""}, // the header wins: a reconnecting EventSource
		{"types=case.changed,incident.created", "", -1, 2, false, ""},
		{"types=+case.changed+", "", -1, 1, false, ""},
		{"bbox=118.5,31.9,118.8,32.2", "", -1, 0, true, ""},
		{"types=case.changed,", "", -1, 0, false, "types"},
		{"types=", "", -1, 0, false, "types"},
		{"types=cases", "", -1, 0, false, "types"},
		{"bbox=118.5,31.9", "", -1, 0, false, "bbox"},
		{"bbox=118.8,31.9,118.5,32.2", "", -1, 0, false, "bbox"},
		{"bbox=1,2,3,NaN", "", -1, 0, false, "bbox"},
		{"bbox=200,0,201,1", "", -1, 0, false, "bbox"},
		{"after=-1", "", -1, 0, false, "after"},
		{"after=x", "", -1, 0, false, "after"},
		{"after=99999999999999999999", "", -1, 0, false, "after"},
		{"", "abc", -1, 0, false, "Last-Event-ID"},
		{"", "-5", -1, 0, false, "Last-Event-ID"},
	} {
		v, _ := url.ParseQuery(c.query)
		q, err := parseEventQuery(v, c.lastID)
		if c.field != "" {
			if !errs.Is(err, errs.Invalid) || errFieldOf(err) != c.field {
				t.Errorf("%q / %q: error %v, want Invalid naming %s", c.query, c.lastID, err, c.field)
			}
			continue
		}
		if err != nil || q.After != c.after || len(q.Filter.Types) != c.types || (q.Filter.BBox != nil) != c.bbox {
			t.Errorf("%q / %q: %+v, %v; want after %d, %d types, bbox %v", c.query, c.lastID, q, err, c.after, c.types, c.bbox)
		}
	}
}

// FuzzEventQuery: any query and Last-Event-ID either parse into a usable
// subscription or fail as Invalid naming one of the parameters; never a
// panic.
func FuzzEventQuery(f *testing.F) {
	f.Add("case.changed,unit.position", "118.5,31.9,118.8,32.2", "10", "")
	f.Add("", "", "", "42")
	f.Add("x,,y", "1,2,3", "-1", "1e3")
	f.Add("plan.published", "-180,-90,180,90", "0", " 7 ")
	f.Fuzz(func(t *testing.T, types, bbox, after, lastID string) {
		v := url.Values{}
		if types != "" {
			v.Set("types", types)
		}
		if bbox != "" {
			v.Set("bbox", bbox)
		}
		if after != "" {
			v.Set("after", after)
		}
		q, err := parseEventQuery(v, lastID)
		if err != nil {
			field := errFieldOf(err)
			if !errs.Is(err, errs.Invalid) || (field != "types" && field != "bbox" && field != "after" && field != "Last-Event-ID") {
				t.Fatalf("error %v (field %q), want Invalid naming a parameter", err, field)
			}
			return
		}
		if q.After < -1 {
			t.Fatalf("after %d", q.After)
		}
		for ty := range q.Filter.Types {
			known := false
			for _, k := range events.Types {
				known = known || k == ty
			}
			if !known {
				t.Fatalf("unknown type %q accepted", ty)
			}
		}
		if b := q.Filter.BBox; b != nil {
			for _, x := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					t.Fatalf("bbox %v", *b)
				}
			}
			if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
				t.Fatalf("inverted bbox %v", *b)
			}
		}
		// What is sent is what a client can echo: the event line never
		// breaks the framing.
		ev := events.New(events.CaseChanged, evTime, nil, map[string]string{"s": types + "\n" + bbox})
		msg := string(appendSSE(nil, &ev))
		if strings.Count(msg, "\n\n") != 1 || !strings.HasSuffix(msg, "\n\n") {
			t.Fatalf("message framing broken: %q", msg)
		}
	})
}

var evTime = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

func errFieldOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// memLog is an in-memory event log for the stream tests.
type memLog struct {
	mu  sync.Mutex
	evs []events.Event
}

func (l *memLog) add(ev events.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev.ID = int64(len(l.evs) + 1)
	l.evs = append(l.evs, ev)
}

func (l *memLog) EventsSince(_ context.Context, after int64, limit int) ([]events.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.Event
	for _, ev := range l.evs {
		if ev.ID > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (l *memLog) LastEventID(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.evs)), nil
}

// TestEventStreamOutlivesServerTimeouts: a stream stays open past the
// server's read and write timeouts, sends heartbeats while idle, and
// delivers an event after them.
func TestEventStreamOutlivesServerTimeouts(t *testing.T) {
	defer func(d time.Duration) { sseHeartbeat = d }(sseHeartbeat)
	sseHeartbeat = 50 * time.Millisecond
	l := &memLog{}
	hub := events.NewHub(l, events.HubOptions{Poll: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	keys, _ := ParseKeys(strings.NewReader(HashKey(dispSecret)+" dispatcher centre\n"), "test")
	s, err := New(Config{Store: newTestStore(1), Keys: keys, PlanPoll: -1, EventStream: hub})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Config.ReadTimeout, ts.Config.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	ts.Start()
	defer ts.Close()
	defer cancel()
	req, _ := http.NewRequest("GET", ts.URL+"/events", nil)
	req.Header.Set("X-API-Key", dispSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	time.Sleep(600 * time.Millisecond) // three times the timeouts
	l.add(events.New(events.PlanPublished, evTime, nil, map[string]int{"plan": 3}))
	beats := 0
	deadline := time.After(5 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended after %d heartbeats", beats)
			}
			if line == ": heartbeat" {
				beats++
			}
			if line == `data: {"id":1,"type":"plan.published","at":"2026-07-01T09:00:00Z","data":{"plan":3}}` {
				if beats < 5 {
					t.Fatalf("%d heartbeats in 600 ms, want about 12", beats)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no event after the timeouts (%d heartbeats)", beats)
		}
	}
}
