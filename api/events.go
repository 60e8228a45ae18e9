package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/internal/clip"
)

// SSE timing: the reconnection delay sent to clients and the heartbeat
// comment that keeps idle connections (and proxies) open.
var (
	sseRetry     = 3 * time.Second
	sseHeartbeat = 15 * time.Second
)

// eventRoutes registers GET /events and the event metrics.
func (s *Server) eventRoutes(_ *mux.Router, get func(string, handlerFunc)) {
	get("/events", s.requireAny(access.Dispatcher)(s.streamEvents))
	s.registerEventMetrics()
}

// publisher is where handlers publish events: Config.Events, or
// events.Discard when none is configured.
func (s *Server) publisher() events.Publisher {
	if s.cfg.Events == nil {
		return events.Discard{}
	}
	return s.cfg.Events
}

// eventQuery is GET /events' parsed query.
type eventQuery struct {
	After  int64 // replay events above this id; -1: live only
	Filter events.Filter
}

// parseEventQuery reads types= (comma-separated event types), bbox=
// (lon,lat,lon,lat in WGS84) and the resume point: the Last-Event-ID header
// (an EventSource reconnecting sends it) or else after=. Bad input is
// Invalid naming the parameter.
func parseEventQuery(v url.Values, lastEventID string) (eventQuery, error) {
	q := eventQuery{After: -1}
	if v.Has("types") {
		q.Filter.Types = map[events.Type]bool{}
		for _, part := range strings.Split(v.Get("types"), ",") {
			t := events.Type(strings.TrimSpace(part))
			known := false
			for _, k := range events.Types {
				known = known || k == t
			}
			if !known {
				names := make([]string, len(events.Types))
				for i, k := range events.Types {
					names[i] = string(k)
				}
				return q, errs.E(errs.Invalid, "types", "%q is not an event type; want a comma-separated list of %s", clip.Text(string(t), 60), strings.Join(names, ", "))
			}
			q.Filter.Types[t] = true
		}
	}
	if v.Has("bbox") {
		c, _ := parseCRSParam("bbox-crs", "", false)
		b, err := parseBBox(v.Get("bbox"), c)
		if err != nil {
			return q, err
		}
		q.Filter.BBox = &b
	}
	parseID := func(field, s string) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 0 {
			return 0, errs.E(errs.Invalid, field, "%q is not an event id (a non-negative integer)", clip.Text(s, 40))
		}
		return n, nil
	}
	if v.Has("after") {
		n, err := parseID("after", v.Get("after"))
		if err != nil {
			return q, err
		}
		q.After = n
	}
	if lastEventID != "" {
		n, err := parseID("Last-Event-ID", lastEventID)
		if err != nil {
			return q, err
		}
		q.After = n
	}
	return q, nil
}

// sseEvent is an event as a stream client receives it in data:.
type sseEvent struct {
	ID   int64           `json:"id"`
	Type events.Type     `json:"type"`
	At   time.Time       `json:"at"`
	Lon  *float64        `json:"lon,omitempty"`
	Lat  *float64        `json:"lat,omitempty"`
	Data json.RawMessage `json:"data"`
}

// appendSSE appends ev as one SSE message: id, event and data lines.
func appendSSE(b []byte, ev *events.Event) []byte {
	out := sseEvent{ID: ev.ID, Type: ev.Type, At: ev.At, Data: ev.Data}
	if len(out.Data) == 0 {
		out.Data = json.RawMessage("null")
	}
	if ev.Loc != nil {
		out.Lon, out.Lat = &ev.Loc[0], &ev.Loc[1]
	}
	data, err := json.Marshal(out) // compact: no raw line breaks
	if err != nil {
		out.Data = json.RawMessage("null")
		data, _ = json.Marshal(out)
	}
	b = append(b, "id: "...)
	b = strconv.AppendInt(b, ev.ID, 10)
	b = append(b, "\nevent: "...)
	b = append(b, strings.NewReplacer("\n", " ", "\r", " ").Replace(string(ev.Type))...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// streamEvents is GET /events (role dispatcher or admin): Server-Sent
// Events. Without Last-Event-ID or after= it streams what happens from
// now on; with one it first replays the retained events above that id.
// types= and bbox= filter (events without a place pass every bbox). Each
// event is an "id:", "event:" (its type) and "data:" (JSON: id, type, at,
// lon, lat, data) message, flushed at once; a comment every 15 s keeps
// the connection open. A client that falls too far behind is cut off and
// resumes with Last-Event-ID; the stream ends when the client leaves or
// the service shuts down.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := parseEventQuery(queryOf(r), r.Header.Get("Last-Event-ID"))
	if err != nil {
		return err
	}
	hub := s.cfg.EventStream
	if hub == nil {
		return errs.E(errs.Unavailable, "", "the event stream is not running")
	}
	ctx := r.Context()
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	sub, err := hub.Follow(fctx, q.After, q.Filter)
	cancel()
	if err != nil {
		return errs.Wrap(errs.Unavailable, err, "the event stream is not available; retry")
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout (the test proves it
	// needs this); the read deadline is lifted too, to be safe.
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	buf := make([]byte, 0, 1024)
	buf = append(buf, "retry: "...)
	buf = strconv.AppendInt(buf, sseRetry.Milliseconds(), 10)
	buf = append(buf, "\n\n"...)
	tick := time.NewTicker(sseHeartbeat)
	defer tick.Stop()
	for {
		if len(buf) > 0 {
			if _, err := w.Write(buf); err != nil {
				return nil // the client left
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
			buf = buf[:0]
		}
		ev, err := sub.Next(ctx, tick.C)
		switch {
		case err == nil:
			buf = appendSSE(buf, &ev)
		case errors.Is(err, events.ErrTick):
			buf = append(buf, ": heartbeat\n\n"...)
		case errors.Is(err, events.ErrSlow):
			_, _ = w.Write([]byte(": too slow: cut off; reconnect with Last-Event-ID\n\n"))
			return nil
		case ctx.Err() != nil || errors.Is(err, events.ErrClosed):
			return nil
		default:
			s.log.WarnContext(ctx, "event stream replay", "err", err.Error())
			return nil
		}
	}
}

// registerEventMetrics exports the bus's and the hub's counters when
// they offer them.
func (s *Server) registerEventMetrics() {
	type busStats interface{ Stats() events.BusStats }
	if b, ok := s.cfg.Events.(busStats); ok {
		for _, m := range []struct {
			name, help string
			f          func(events.BusStats) float64
			gauge      bool
		}{
			{"gridd_events_published_total", "Events handed to the publisher.", func(st events.BusStats) float64 { return float64(st.Published) }, false},
			{"gridd_events_appended_total", "Events stored in the event log.", func(st events.BusStats) float64 { return float64(st.Appended) }, false},
			{"gridd_events_dropped_total", "Events dropped because the publisher's queue was full (the log was down too long).", func(st events.BusStats) float64 { return float64(st.Dropped) }, false},
			{"gridd_events_append_failures_total", "Failed appends to the event log (retried).", func(st events.BusStats) float64 { return float64(st.Failures) }, false},
			{"gridd_events_queued", "Events waiting to be appended.", func(st events.BusStats) float64 { return float64(st.Queued) }, true},
		} {
			f := m.f
			val := func() float64 { return f(b.Stats()) }
			if m.gauge {
				s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: m.name, Help: m.help}, val))
			} else {
				s.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: m.name, Help: m.help}, val))
			}
		}
	}
	if h := s.cfg.EventStream; h != nil {
		s.metrics.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridd_events_subscribers", Help: "Event stream clients connected."},
				func() float64 { return float64(h.Stats().Subscribers) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridd_events_delivered_total", Help: "Events handed to stream clients."},
				func() float64 { return float64(h.Stats().Delivered) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gridd_events_cut_off_total", Help: "Stream clients cut off as too slow."},
				func() float64 { return float64(h.Stats().CutOff) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridd_events_last_id", Help: "The highest event id streamed."},
				func() float64 { return float64(h.Stats().LastID) }),
		)
	}
}

// addEventPaths documents GET /events.
func addEventPaths(paths obj, _ func(string, obj) obj) {
	q := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
	}
	paths["/events"] = obj{"get": obj{
		"operationId": "events",
		"summary":     "The event stream (Server-Sent Events; dispatcher or admin): incident.created, case.changed, unit.position, unit.status, plan.published, shifts.changed",
		"description": "Each message has id: (the event id), event: (the type) and data: (JSON {id, type, at, lon, lat, data}; lon/lat absent for events without a place). " +
			"Without Last-Event-ID or after the stream starts now; with one, retained events above that id are replayed first, then live ones, without gap or duplicate. " +
			"A comment line every 15 s keeps the connection open; a client too slow to keep up is cut off and resumes with Last-Event-ID.",
		"security": []obj{{"bearer": []string{}}, {"apiKey": []string{}}},
		"parameters": []obj{
			q("types", "comma-separated event types (default: all)", obj{"type": "string"}),
			q("bbox", "lon,lat,lon,lat (WGS84): only events located in the box, and events without a place", obj{"type": "string"}),
			q("after", "replay the retained events above this id first", obj{"type": "integer", "minimum": 0}),
			{"name": "Last-Event-ID", "in": "header", "required": false, "description": "as after; sent by EventSource on reconnection, wins over after", "schema": obj{"type": "integer", "minimum": 0}},
		},
		"responses": mergeObj(problemResponses("400", "401", "403", "503"), obj{"200": obj{
			"description": "The stream",
			"content":     obj{"text/event-stream": obj{"schema": obj{"type": "string"}}},
		}}),
	}}
}
