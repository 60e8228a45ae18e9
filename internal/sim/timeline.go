package sim

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"time"
)

// TimelineHeader names the columns of Config.Timeline: the report's
// sequence number; when it was due, when its request started and when its
// answer was read, in milliseconds since the run started; the answer's
// HTTP status; and whether the request opened a new TCP connection (1) or
// reused a pooled one (0). due→sent is the generator's own lag, sent→done
// the server's (and the network's) time.
const TimelineHeader = "seq,due_ms,sent_ms,done_ms,status,new_conn\n"

// attemptTrace records how one request got its connection.
type attemptTrace struct {
	sent    time.Time
	newConn bool
}

func (t *attemptTrace) trace(req *http.Request) *http.Request {
	t.sent = time.Now()
	return req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { t.newConn = !i.Reused },
	}))
}

// timeline writes one first attempt's line to Config.Timeline.
func (s *sim) timeline(seq int, due time.Time, t attemptTrace, status int) {
	if s.cfg.Timeline == nil {
		return
	}
	msSince := func(x time.Time) float64 { return float64(x.Sub(s.start).Microseconds()) / 1000 }
	nc := 0
	if t.newConn {
		nc = 1
	}
	line := fmt.Sprintf("%d,%.3f,%.3f,%.3f,%d,%d\n", seq, msSince(due), msSince(t.sent), msSince(time.Now()), status, nc)
	s.ackMu.Lock()
	io.WriteString(s.cfg.Timeline, line)
	s.ackMu.Unlock()
}

// secondStat is the first attempts due in one second of the run.
type secondStat struct {
	lat      []time.Duration
	newConns int
}

// second records a first attempt due at offset since the run started,
// answered lat after it was due.
func (st *stats) second(offset, lat time.Duration, newConn bool) {
	i := max(0, int(offset/time.Second))
	st.mu.Lock()
	defer st.mu.Unlock()
	for len(st.secs) <= i {
		st.secs = append(st.secs, secondStat{})
	}
	st.secs[i].lat = append(st.secs[i].lat, lat)
	if newConn {
		st.newConns++
		st.secs[i].newConns++
	}
}

// Second is the answered first attempts due in one second of the run
// (latency from when each was due) and the TCP connections they opened.
type Second struct {
	At            time.Duration // the second's start since the run started
	N             int
	P50, P99, Max time.Duration
	NewConns      int
}

func secondsOf(secs []secondStat) []Second {
	out := make([]Second, 0, len(secs))
	for i, sc := range secs {
		l := latencyOf("", sc.lat)
		var mx time.Duration
		for _, d := range sc.lat {
			mx = max(mx, d)
		}
		out = append(out, Second{At: time.Duration(i) * time.Second, N: l.N, P50: l.P50, P99: l.P99, Max: mx, NewConns: sc.newConns})
	}
	return out
}

// printSeconds writes the first seconds and the slowest one: a slow start
// shows as the first lines, a stall in the middle as the slowest.
func (sum *Summary) printSeconds(w io.Writer) {
	if len(sum.Seconds) == 0 {
		return
	}
	line := func(what string, s Second) {
		fmt.Fprintf(w, "%-8s t=%-4s n=%-6d p50=%-8s p99=%-8s max=%-8s new connections %d\n", what, s.At, s.N, ms(s.P50), ms(s.P99), ms(s.Max), s.NewConns)
	}
	worst := 0
	for i, s := range sum.Seconds {
		if s.P99 > sum.Seconds[worst].P99 {
			worst = i
		}
	}
	for i := range min(3, len(sum.Seconds)) {
		line("second", sum.Seconds[i])
	}
	line("slowest", sum.Seconds[worst])
	fmt.Fprintf(w, "new TCP connections: %d\n", sum.NewConns)
}
