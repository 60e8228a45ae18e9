package sim

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/internal/sim/simtest"
)

// TestRunAgainstFake: every report is acknowledged once, retries after
// 503s (also after a lost answer) come back with the stored id, the ack
// log lists each id once, cases are driven, and the positions route
// missing is an error kind, not a failure.
func TestRunAgainstFake(t *testing.T) {
	f := simtest.NewFake()
	srv := httptest.NewServer(f)
	defer srv.Close()
	var log, timeline bytes.Buffer
	var acks []Ack
	sum, err := Run(context.Background(), Config{URL: srv.URL, Key: "k", Rate: 200, Duration: 2 * time.Second, Seed: 3,
		Workers: 8, CaseShare: 0.5, StepDelay: 5 * time.Millisecond, LoseShare: 0, PositionsEvery: 200 * time.Millisecond,
		Drain: 5 * time.Second, AckLog: &log, Timeline: &timeline, OnAck: func(a Ack) { acks = append(acks, a) }})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum.Print(&out)
	t.Log(out.String())
	if sum.Sent != 400 || sum.Acked != 400 || sum.Failed != 0 {
		t.Fatalf("sent %d acked %d failed %d", sum.Sent, sum.Acked, sum.Failed)
	}
	// seq%7==3 and seq%11==5 fail once each.
	wantRetries := int64(0)
	for i := 0; i < 400; i++ {
		if i%7 == 3 || i%11 == 5 {
			wantRetries++
		}
	}
	if sum.Retried != wantRetries {
		t.Errorf("retried %d, want %d", sum.Retried, wantRetries)
	}
	lines := strings.Fields(log.String())
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("id %s logged twice", l)
		}
		seen[l] = true
	}
	if len(lines) != 400 || len(f.ByKey) != 400 {
		t.Errorf("%d ids logged, the fake stored %d reports", len(lines), len(f.ByKey))
	}
	lostAndFound := 0
	for _, a := range acks {
		if seq, _ := strconv.Atoi(a.ExternalID[strings.LastIndex(a.ExternalID, "-")+1:]); seq%11 == 5 && seq%7 != 3 {
			lostAndFound++
			if a.Created {
				t.Errorf("%s: the retry after a lost answer was told it created the incident", a.ExternalID)
			}
		}
	}
	if lostAndFound == 0 {
		t.Error("no lost answer was retried")
	}
	if sum.Errors["positions_http_404"] == 0 || sum.Errors["incident_http_503"] == 0 {
		t.Errorf("errors %v", sum.Errors)
	}
	if sum.CasesDriven == 0 || sum.CasesFinished == 0 || f.Events == 0 {
		t.Errorf("cases driven %d, finished %d, events %d", sum.CasesDriven, sum.CasesFinished, f.Events)
	}
	if l := sum.Lat("ack"); l.N != 400 || l.P99 < l.P50 {
		t.Errorf("ack latency %+v", l)
	}
	// Every first attempt is on the timeline and in its second.
	if n := strings.Count(timeline.String(), "\n"); n != 400 {
		t.Errorf("%d timeline lines, want 400", n)
	}
	n := 0
	for _, sec := range sum.Seconds {
		n += sec.N
		if sec.N > 0 && (sec.P99 < sec.P50 || sec.Max < sec.P99) {
			t.Errorf("second %+v", sec)
		}
	}
	// Pooled connections: few new ones. (None at all is possible: the
	// run's first GETs open a connection that a fast server lets every
	// first attempt reuse.) The summary counts what the timeline shows.
	if n != 400 || len(sum.Seconds) < 2 || sum.NewConns > 8+len(sum.Seconds)*8 {
		t.Errorf("%d first attempts in %d seconds, %d new connections", n, len(sum.Seconds), sum.NewConns)
	}
	if shown := strings.Count(timeline.String(), ",1\n"); shown != sum.NewConns {
		t.Errorf("timeline shows %d new connections, the summary %d", shown, sum.NewConns)
	}
}

func testSim(seed int64) *sim {
	d := &district{bound: orb.Bound{Min: orb.Point{118, 32}, Max: orb.Point{118.1, 32.1}},
		cats: []string{"env_litter", "env_sewage", "str_illegal_parking", "soc_dispute"}}
	for i := 0; i < 100; i++ {
		d.buildings = append(d.buildings, building{id: fmt.Sprint(i), address: fmt.Sprintf("路%d号", i),
			loc: orb.Point{118 + float64(i)*0.001, 32 + float64(i)*0.001}, street: -1})
	}
	s := &sim{cfg: Config{Seed: seed, LoseShare: 0.01}, d: d}
	tbl, _ := cases.DefaultCategories()
	for _, c := range d.cats {
		if cat, ok := tbl.Get(c); ok && cat.Path == cases.Department {
			s.deptCats = append(s.deptCats, c)
		} else {
			s.siteCats = append(s.siteCats, c)
		}
	}
	return s
}

// TestReportsDeterministic: the same seed gives the same reports, another
// seed others; channels, places and paths come in the planned shares.
func TestReportsDeterministic(t *testing.T) {
	a, b, c := testSim(1), testSim(1), testSim(2)
	const n = 20000
	same, channels, kinds, dept := 0, map[cases.Channel]int{}, map[string]int{}, 0
	for i := 0; i < n; i++ {
		ra, rb := a.report(i), b.report(i)
		if !reflect.DeepEqual(ra, rb) {
			t.Fatalf("seed 1 report %d differs: %+v %+v", i, ra, rb)
		}
		if reflect.DeepEqual(ra.loc, c.report(i).loc) {
			same++
		}
		channels[ra.channel]++
		kinds[ra.kind]++
		if ra.category == "env_sewage" {
			dept++
		}
	}
	if same > n/50 {
		t.Errorf("seeds 1 and 2 share %d of %d places", same, n)
	}
	for _, cw := range channelWeights {
		if got := float64(channels[cw.ch]) / n * 100; math.Abs(got-cw.w) > 1.5 {
			t.Errorf("channel %s: %.1f %%, want about %.0f %%", cw.ch, got, cw.w)
		}
	}
	for k, want := range map[string]float64{"address": shareAddress, "unlocatable": shareUnlocatable, "outside": shareOutside} {
		if got := float64(kinds[k]) / n; math.Abs(got-want) > want/3 {
			t.Errorf("%s: %.3f, want about %.3f", k, got, want)
		}
	}
	if kinds["duplicate"] == 0 {
		t.Error("no duplicates")
	}
	if got := float64(dept) / n; math.Abs(got-shareDepartment) > 0.02 {
		t.Errorf("department path share %.3f, want about %.2f", got, shareDepartment)
	}
}
