// Package sim drives a realistic day against a running gridd through its
// HTTP API only: reports from every channel at an open-loop rate, client
// retries with the same external_id, duplicates, address-only and
// outside-district reports, units moving along their streets and
// reporting positions, and (with a dispatcher key) cases driven from
// dispatch to evaluation. gridctl simulate and the fault tests run it.
package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/internal/clip"
)

// Config is one simulation run.
type Config struct {
	URL      string        // gridd's base URL
	Key      string        // API key (X-API-Key); a dispatcher key drives cases and units
	Rate     float64       // reports per second, open loop
	Duration time.Duration // how long reports are sent
	Seed     int64         // the run's reports and decisions are a function of the seed
	Workers  int           // concurrent first attempts (retries run beside them)
	Timeout  time.Duration // one attempt's timeout
	MaxRetry time.Duration // a report is retried for at most this long

	CaseShare      float64       // share of new cases the dispatcher drives to evaluation
	StepDelay      time.Duration // mean pause between a case's steps
	LoseShare      float64       // share of reports whose first answer is lost (the client gives up early)
	PositionsEvery time.Duration // how often units report their positions (0: never)
	Drain          time.Duration // how long cases in progress may finish after Duration

	AckLog        io.Writer     // every acknowledged incident id, one a line
	Timeline      io.Writer     // one CSV line per first attempt (see timelineHeader)
	Progress      io.Writer     // a progress line every ProgressEvery
	ProgressEvery time.Duration // default 5 s
	Client        *http.Client  // default: pooled for Workers
	OnAck         func(Ack)     // called once per acknowledged report (tests)
}

// Ack is one acknowledged report.
type Ack struct {
	ID         int64
	Channel    cases.Channel
	ExternalID string
	Created    bool // 201 (else 200: it was stored by an earlier attempt)
}

func (c *Config) defaults() error {
	if c.URL == "" {
		return errors.New("no URL")
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if c.Rate <= 0 || c.Duration <= 0 {
		return errors.New("rate and duration must be positive")
	}
	if c.Workers <= 0 {
		c.Workers = 64
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxRetry <= 0 {
		c.MaxRetry = 2 * time.Minute
	}
	if c.StepDelay <= 0 {
		c.StepDelay = 300 * time.Millisecond
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.Drain <= 0 {
		c.Drain = 30 * time.Second
	}
	if c.Client == nil {
		c.Client = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConns: 4 * c.Workers,
			MaxIdleConnsPerHost: 4 * c.Workers, IdleConnTimeout: 30 * time.Second,
			DialContext: (&net.Dialer{Timeout: 3 * time.Second}).DialContext}}
	}
	return nil
}

type sim struct {
	cfg      Config
	d        *district
	siteCats []string
	deptCats []string
	start    time.Time

	sent, acked, created, retried, failed, redelivered atomic.Int64
	casesDriven, casesDone, positions                  atomic.Int64
	casesDept, casesVoid, rework                       atomic.Int64
	behind                                             atomic.Int64
	stats                                              stats

	sendEnd time.Time // when the last first attempt was answered

	ackMu sync.Mutex
	units *fleet
	bg    sync.WaitGroup // retries and cases in flight
}

// Run simulates until cfg.Duration has passed (and cases in progress have
// had cfg.Drain to finish) or ctx ends, and returns the summary.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &sim{cfg: cfg, stats: stats{lat: map[string][]time.Duration{}, errs: map[string]int64{}}}
	d, err := s.loadDistrict(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the district: %w", err)
	}
	s.d = d
	if tbl, err := cases.DefaultCategories(); err == nil {
		for _, code := range d.cats {
			if c, ok := tbl.Get(code); ok && c.Path == cases.Department {
				s.deptCats = append(s.deptCats, code)
			} else {
				s.siteCats = append(s.siteCats, code)
			}
		}
	}
	s.units = newFleet(s)
	s.logf("district: %d streets, %d buildings, %d units, %d categories; %g reports/s for %s, seed %d",
		len(d.streets), len(d.buildings), len(d.units), len(d.cats), cfg.Rate, cfg.Duration, cfg.Seed)

	s.start = time.Now()
	runCtx, cancelRun := context.WithTimeout(ctx, cfg.Duration+cfg.Drain)
	defer cancelRun()
	stopAux := make(chan struct{})
	var aux sync.WaitGroup
	aux.Add(2)
	go func() { defer aux.Done(); s.progressLoop(stopAux) }()
	go func() { defer aux.Done(); s.units.loop(runCtx, stopAux) }()

	jobs := make(chan job, cfg.Workers*4)
	var workers sync.WaitGroup
	for range cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				s.intake(runCtx, j)
			}
		}()
	}
	s.schedule(runCtx, jobs)
	close(jobs)
	workers.Wait()
	s.sendEnd = time.Now()
	s.bg.Wait()
	close(stopAux)
	aux.Wait()
	sum := s.summary()
	return sum, nil
}

type job struct {
	seq int
	due time.Time
}

// schedule issues report i at start + i/rate whatever the server's pace
// (open loop): a late report's latency counts from when it was due.
func (s *sim) schedule(ctx context.Context, jobs chan<- job) {
	n := int(s.cfg.Rate * s.cfg.Duration.Seconds())
	interval := time.Duration(float64(time.Second) / s.cfg.Rate)
	for i := 0; i < n; i++ {
		due := s.start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(w):
			}
		}
		select {
		case jobs <- job{i, due}:
			continue
		default:
		}
		s.behind.Add(1)
		select {
		case jobs <- job{i, due}:
		case <-ctx.Done():
			return
		}
	}
}

// intake delivers one report: the first attempt here, retries (with
// exponential backoff) in the background so the worker takes the next.
func (s *sim) intake(ctx context.Context, j job) {
	rep := s.report(j.seq)
	s.sent.Add(1)
	res, retry := s.attempt(ctx, rep, j.due, 0)
	if !retry {
		s.done(ctx, rep, j.due, res)
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		r := rngFor(s.cfg.Seed, 3, uint64(rep.seq))
		backoff := 100 * time.Millisecond
		first := j.due
		for try := 1; ; try++ {
			if time.Since(first) > s.cfg.MaxRetry {
				s.failed.Add(1)
				s.stats.err("gave_up")
				return
			}
			wait := backoff/2 + time.Duration(r.Int64N(int64(backoff)))
			select {
			case <-ctx.Done():
				s.failed.Add(1)
				s.stats.err("gave_up")
				return
			case <-time.After(wait):
			}
			backoff = min(2*backoff, 5*time.Second)
			s.retried.Add(1)
			res, again := s.attempt(ctx, rep, time.Now(), try)
			if !again {
				s.done(ctx, rep, j.due, res)
				return
			}
		}
	}()
}

type answer struct {
	ok        bool
	id        int64
	created   bool
	caseID    int64
	duplicate bool
	unit      string // routing's suggested unit
	dept      string // routing's department (department path)
}

// attempt sends rep once; retry says whether the failure is one a client
// retries (connection errors, timeouts, 5xx, 429).
func (s *sim) attempt(ctx context.Context, rep report, from time.Time, try int) (answer, bool) {
	timeout := s.cfg.Timeout
	if try == 0 && rep.lose {
		timeout = time.Duration(1+rngFor(s.cfg.Seed, 4, uint64(rep.seq)).IntN(5)) * time.Millisecond
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	kind := "incident"
	var req *http.Request
	if rep.channel == cases.Open311 {
		kind = "open311"
		f := url.Values{"service_code": {rep.category}, "description": {"sim report " + rep.externalID}}
		if rep.loc != nil {
			f.Set("lat", strconv.FormatFloat(rep.loc[1], 'f', 7, 64))
			f.Set("long", strconv.FormatFloat(rep.loc[0], 'f', 7, 64))
		} else {
			f.Set("address_string", rep.address)
		}
		if s.cfg.Key != "" {
			f.Set("api_key", s.cfg.Key)
		}
		req, _ = http.NewRequestWithContext(actx, "POST", s.cfg.URL+"/open311/v2/requests.json", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		body := map[string]any{"channel": string(rep.channel), "external_id": rep.externalID, "category": rep.category,
			"description": "模拟报告 " + rep.externalID, "reported_at": time.Now().UTC().Format(time.RFC3339Nano)}
		if rep.loc != nil {
			body["location"] = map[string]any{"lon": rep.loc[0], "lat": rep.loc[1], "crs": "wgs84"}
		} else {
			body["address"] = rep.address
		}
		raw, _ := json.Marshal(body)
		req, _ = http.NewRequestWithContext(actx, "POST", s.cfg.URL+"/incidents", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if s.cfg.Key != "" {
			req.Header.Set("X-API-Key", s.cfg.Key)
		}
	}
	var tl attemptTrace
	if try == 0 {
		req = tl.trace(req)
	}
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		s.stats.err(errKind(err, try == 0 && rep.lose))
		return answer{}, ctx.Err() == nil
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		s.stats.err(errKind(err, try == 0 && rep.lose))
		return answer{}, ctx.Err() == nil
	}
	lat := time.Since(from)
	s.stats.observe(kind, lat)
	if try == 0 {
		s.stats.second(from.Sub(s.start), lat, tl.newConn)
		s.timeline(rep.seq, from, tl, res.StatusCode)
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		s.stats.err(fmt.Sprintf("%s_http_%d", kind, res.StatusCode))
		return answer{}, res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests
	}
	a := answer{ok: true, created: res.StatusCode == http.StatusCreated}
	if kind == "open311" {
		var out []struct {
			ID string `json:"service_request_id"`
		}
		if json.Unmarshal(raw, &out) != nil || len(out) != 1 {
			s.stats.err("bad_answer")
			return answer{}, false
		}
		a.id, _ = strconv.ParseInt(out[0].ID, 10, 64)
	} else {
		var in struct {
			ID        int64 `json:"id"`
			CaseID    int64 `json:"case_id"`
			Duplicate bool  `json:"duplicate"`
			Routing   struct {
				Unit       string `json:"unit"`
				Department string `json:"department"`
			} `json:"routing"`
		}
		if json.Unmarshal(raw, &in) != nil {
			s.stats.err("bad_answer")
			return answer{}, false
		}
		a.id, a.caseID, a.duplicate, a.unit, a.dept = in.ID, in.CaseID, in.Duplicate, in.Routing.Unit, in.Routing.Department
	}
	if a.id <= 0 {
		s.stats.err("bad_answer")
		return answer{}, false
	}
	return a, false
}

// done records an acknowledged report (or a failed one), checks a
// redelivery sometimes, and hands new cases to the dispatcher.
func (s *sim) done(ctx context.Context, rep report, due time.Time, a answer) {
	if !a.ok {
		s.failed.Add(1)
		return
	}
	s.acked.Add(1)
	s.stats.observe("ack", time.Since(due)) // from when it was due to its acknowledgement, retries included
	if a.created {
		s.created.Add(1)
	}
	s.ackMu.Lock()
	if s.cfg.AckLog != nil {
		fmt.Fprintf(s.cfg.AckLog, "%d\n", a.id)
	}
	if s.cfg.OnAck != nil {
		s.cfg.OnAck(Ack{ID: a.id, Channel: rep.channel, ExternalID: rep.externalID, Created: a.created})
	}
	s.ackMu.Unlock()
	r := rngFor(s.cfg.Seed, 5, uint64(rep.seq))
	if r.Float64() < 0.02 { // the channel delivers it again: the same incident must answer
		s.redelivered.Add(1)
		again, _ := s.attempt(ctx, report{seq: rep.seq, channel: rep.channel, externalID: rep.externalID,
			category: rep.category, loc: rep.loc, address: rep.address}, time.Now(), 1)
		if again.ok && (again.id != a.id || again.created) {
			s.stats.err("redelivery_new_id")
		}
	}
	if a.created && a.caseID > 0 && !a.duplicate && s.units.canDrive() && r.Float64() < s.cfg.CaseShare {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.driveCase(ctx, rep, a)
		}()
	}
}

func errKind(err error, lost bool) string {
	var ne net.Error
	switch {
	case lost && errors.Is(err, context.DeadlineExceeded):
		return "lost_answer"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "conn_refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "conn_reset"
	}
	return "conn_error"
}

// stats are latencies per request kind and errors per kind.
type stats struct {
	mu       sync.Mutex
	lat      map[string][]time.Duration
	errs     map[string]int64
	secs     []secondStat // first attempts by the second they were due in
	newConns int          // TCP connections the first attempts opened
}

func (st *stats) observe(kind string, d time.Duration) {
	st.mu.Lock()
	st.lat[kind] = append(st.lat[kind], d)
	st.mu.Unlock()
}

func (st *stats) err(kind string) {
	st.mu.Lock()
	st.errs[kind]++
	st.mu.Unlock()
}

// Latency is one request kind's count and percentiles.
type Latency struct {
	Kind     string
	N        int
	P50, P99 time.Duration
}

// Summary is a run's outcome.
type Summary struct {
	Elapsed, SendWindow                     time.Duration // the whole run; until the last first attempt was answered
	Sent, Acked, Created, Retried, Failed   int64
	Redelivered, CasesDriven, CasesFinished int64
	Positions, Behind                       int64
	CasesDept, CasesVoid, Rework            int64 // driven cases sent to a department, voided, sent back once
	Errors                                  map[string]int64
	Latency                                 []Latency
	Seconds                                 []Second // first attempts by the second they were due in
	NewConns                                int      // TCP connections the first attempts opened
}

func (s *sim) summary() *Summary {
	sum := &Summary{Elapsed: time.Since(s.start), SendWindow: s.sendEnd.Sub(s.start), Sent: s.sent.Load(), Acked: s.acked.Load(), Created: s.created.Load(),
		Retried: s.retried.Load(), Failed: s.failed.Load(), Redelivered: s.redelivered.Load(),
		CasesDriven: s.casesDriven.Load(), CasesFinished: s.casesDone.Load(), Positions: s.positions.Load(),
		Behind: s.behind.Load(), CasesDept: s.casesDept.Load(), CasesVoid: s.casesVoid.Load(), Rework: s.rework.Load(),
		Errors: map[string]int64{}}
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	for k, v := range s.stats.errs {
		sum.Errors[k] = v
	}
	for k, l := range s.stats.lat {
		sum.Latency = append(sum.Latency, latencyOf(k, l))
	}
	sort.Slice(sum.Latency, func(i, j int) bool { return sum.Latency[i].Kind < sum.Latency[j].Kind })
	sum.Seconds, sum.NewConns = secondsOf(s.stats.secs), s.stats.newConns
	return sum
}

func latencyOf(kind string, l []time.Duration) Latency {
	c := append([]time.Duration(nil), l...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	out := Latency{Kind: kind, N: len(c)}
	if len(c) > 0 {
		out.P50 = c[min(len(c)-1, len(c)/2)]
		out.P99 = c[min(len(c)-1, int(0.99*float64(len(c))))]
	}
	return out
}

// Lat returns kind's latency (zero when none was measured).
func (sum *Summary) Lat(kind string) Latency {
	for _, l := range sum.Latency {
		if l.Kind == kind {
			return l
		}
	}
	return Latency{Kind: kind}
}

// Print writes the summary as a few readable lines.
func (sum *Summary) Print(w io.Writer) {
	rate := float64(sum.Acked) / sum.SendWindow.Seconds()
	fmt.Fprintf(w, "sent %d reports in %s (run %s): acknowledged %d (%d new, %.0f/s), retried %d attempts, failed %d, redelivered %d\n",
		sum.Sent, sum.SendWindow.Round(time.Millisecond), sum.Elapsed.Round(time.Millisecond), sum.Acked, sum.Created, rate, sum.Retried, sum.Failed, sum.Redelivered)
	fmt.Fprintf(w, "cases driven %d (finished %d; %d by a department, %d voided, %d sent back once); position reports %d; reports sent late (workers busy) %d\n",
		sum.CasesDriven, sum.CasesFinished, sum.CasesDept, sum.CasesVoid, sum.Rework, sum.Positions, sum.Behind)
	keys := make([]string, 0, len(sum.Errors))
	for k := range sum.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		fmt.Fprint(w, "errors:")
		for _, k := range keys {
			fmt.Fprintf(w, " %s=%d", k, sum.Errors[k])
		}
		fmt.Fprintln(w)
	}
	for _, l := range sum.Latency {
		fmt.Fprintf(w, "latency %-10s n=%-7d p50=%-8s p99=%s\n", l.Kind, l.N, ms(l.P50), ms(l.P99))
	}
	sum.printSeconds(w)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func (s *sim) progressLoop(stop <-chan struct{}) {
	if s.cfg.Progress == nil {
		return
	}
	t := time.NewTicker(s.cfg.ProgressEvery)
	defer t.Stop()
	var lastAck int64
	last := time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			a := s.acked.Load()
			s.stats.mu.Lock()
			var nerr int64
			for _, v := range s.stats.errs {
				nerr += v
			}
			inc := latencyOf("incident", lastN(s.stats.lat["incident"], 2000))
			s.stats.mu.Unlock()
			fmt.Fprintf(s.cfg.Progress, "t=%s sent=%d acked=%d (%.0f/s) retried=%d failed=%d errors=%d cases=%d/%d positions=%d incident p50=%s p99=%s\n",
				time.Since(s.start).Round(time.Second), s.sent.Load(), a, float64(a-lastAck)/now.Sub(last).Seconds(), s.retried.Load(),
				s.failed.Load(), nerr, s.casesDone.Load(), s.casesDriven.Load(), s.positions.Load(), ms(inc.P50), ms(inc.P99))
			lastAck, last = a, now
		}
	}
}

func lastN(l []time.Duration, n int) []time.Duration {
	if len(l) > n {
		return l[len(l)-n:]
	}
	return l
}

func (s *sim) logf(format string, args ...any) {
	if s.cfg.Progress != nil {
		fmt.Fprintf(s.cfg.Progress, format+"\n", args...)
	}
}

// getRaw GETs path with the key and returns the body of a 200.
func (s *sim) getRaw(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.cfg.URL+path, nil)
	if err != nil {
		return nil, err
	}
	if s.cfg.Key != "" {
		req.Header.Set("X-API-Key", s.cfg.Key)
	}
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, clip.Text(string(raw), 200))
	}
	return raw, nil
}

func (s *sim) getJSON(ctx context.Context, path string, v any) error {
	raw, err := s.getRaw(ctx, path)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// postJSON POSTs v to path with the key; it answers the status and body,
// recording the latency under kind.
func (s *sim) postJSON(ctx context.Context, kind, path string, v any) (int, []byte, error) {
	raw, _ := json.Marshal(v)
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(actx, "POST", s.cfg.URL+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if s.cfg.Key != "" {
		req.Header.Set("X-API-Key", s.cfg.Key)
	}
	t0 := time.Now()
	res, err := s.cfg.Client.Do(req)
	if err != nil {
		s.stats.err(kind + "_" + errKind(err, false))
		return 0, nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		s.stats.err(kind + "_" + errKind(err, false))
		return 0, nil, err
	}
	s.stats.observe(kind, time.Since(t0))
	return res.StatusCode, body, nil
}
