package main

// Fault tests (issue 13): the simulator drives gridd on a PostgreSQL
// cluster the test owns while the database is restarted, gridd is killed
// with SIGKILL, or two replicas dispatch the same units.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/internal/pgtest"
	"github.com/gridd/gridd/internal/sim"
)

const faultChildEnv = "GRIDD_FAULT_CHILD_ARGS"

// TestMain runs gridd itself when the fault tests re-execute this binary
// as a child process (to SIGKILL it).
func TestMain(m *testing.M) {
	if args := os.Getenv(faultChildEnv); args != "" {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := Run(ctx, strings.Split(args, "\x1f"), os.Getenv, os.Stdout, nil); err != nil {
			fmt.Fprintln(os.Stderr, "gridd:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const faultKey = "k-fault"

func faultKeys() string { return api.HashKey(faultKey) + " dispatcher,intake simulator" }

// faultSim is the simulator configuration the fault tests share: a modest
// rate (the tests run on 2 shared cores, also under -race), patient
// retries.
func faultSim(base string, seed int64, rate float64, d time.Duration, acks *ackSet) sim.Config {
	return sim.Config{URL: base, Key: faultKey, Rate: rate, Duration: d, Seed: seed, Workers: 32,
		Timeout: 5 * time.Second, MaxRetry: 50 * time.Second, CaseShare: 0.3, StepDelay: 100 * time.Millisecond,
		LoseShare: 0.02, PositionsEvery: time.Second, Drain: 10 * time.Second, OnAck: acks.add}
}

// ackSet collects the simulator's acknowledgements.
type ackSet struct {
	mu   sync.Mutex
	list []sim.Ack
}

func (a *ackSet) add(x sim.Ack) {
	a.mu.Lock()
	a.list = append(a.list, x)
	a.mu.Unlock()
}

// waitFor waits until n reports are acknowledged (the simulator reads the
// district first, slowly under -race), so a fault strikes mid-run.
func (a *ackSet) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a.mu.Lock()
		got := len(a.list)
		a.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d reports acknowledged", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (a *ackSet) all() []sim.Ack {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]sim.Ack(nil), a.list...)
}

func dbConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// checkAcked: every acknowledged report is in the store exactly once, by
// its id and by (channel, external_id) (Open311 reports by the
// description that carries the simulator's id, as their external_id is
// the request's digest); the simulator's reports that are stored are
// exactly the acknowledged ones.
func checkAcked(t *testing.T, dsn string, seed int64, acks []sim.Ack) {
	t.Helper()
	ctx := context.Background()
	db := dbConn(t, dsn)
	type row struct {
		ch, ext, desc string
	}
	byID := map[int64]row{}
	byKey := map[string][]int64{}
	byDesc := map[string][]int64{}
	rows, err := db.Query(ctx, `SELECT id, channel, external_id, description FROM incidents
		WHERE external_id LIKE $1 OR (channel = 'open311' AND description LIKE $2)`,
		fmt.Sprintf("sim-%d-%%", seed), fmt.Sprintf("sim report sim-%d-%%", seed))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var r row
		if err := rows.Scan(&id, &r.ch, &r.ext, &r.desc); err != nil {
			t.Fatal(err)
		}
		byID[id] = r
		byKey[r.ch+"\x00"+r.ext] = append(byKey[r.ch+"\x00"+r.ext], id)
		byDesc[r.desc] = append(byDesc[r.desc], id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, a := range acks {
		if seen[a.ID] {
			t.Errorf("incident %d acknowledged for two reports", a.ID)
		}
		seen[a.ID] = true
		r, ok := byID[a.ID]
		if !ok {
			t.Errorf("acknowledged incident %d (%s %s) is not in the store", a.ID, a.Channel, a.ExternalID)
			continue
		}
		var same []int64
		if a.Channel == "open311" {
			same = byDesc["sim report "+a.ExternalID]
		} else {
			same = byKey[string(a.Channel)+"\x00"+a.ExternalID]
		}
		if r.ch != string(a.Channel) || len(same) != 1 || same[0] != a.ID {
			t.Errorf("report %s %s: acknowledged as %d, the store holds %v (%+v)", a.Channel, a.ExternalID, a.ID, same, r)
		}
	}
	if len(byID) != len(acks) {
		t.Errorf("the store holds %d of the simulator's incidents, %d were acknowledged", len(byID), len(acks))
	}
	if len(acks) == 0 {
		t.Error("nothing was acknowledged")
	}
}

// checkUnits: no unit holds two cases at a stage that keeps it busy.
func checkUnits(t *testing.T, dsn string) {
	t.Helper()
	rows, err := dbConn(t, dsn).Query(context.Background(), `SELECT unit, array_agg(id ORDER BY id) FROM cases
		WHERE unit IS NOT NULL AND stage IN ('dispatched', 'handling') GROUP BY unit HAVING count(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var ids []int64
		if err := rows.Scan(&u, &ids); err != nil {
			t.Fatal(err)
		}
		t.Errorf("unit %s holds cases %v", u, ids)
	}
}

type probe struct {
	at, end time.Time // asked, answered
	code    int
	status  string
}

// pollReady asks /readyz every 100 ms until stop and returns the answers.
func pollReady(base string, stop <-chan struct{}) <-chan []probe {
	out := make(chan []probe, 1)
	go func() {
		var ps []probe
		c := &http.Client{Timeout: 3 * time.Second}
		for {
			p := probe{at: time.Now()}
			if res, err := c.Get(base + "/readyz"); err == nil {
				var m map[string]any
				_ = json.NewDecoder(res.Body).Decode(&m)
				res.Body.Close()
				p.code = res.StatusCode
				p.status, _ = m["status"].(string)
			}
			p.end = time.Now()
			ps = append(ps, p)
			select {
			case <-stop:
				out <- ps
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return out
}

func ready(p probe) bool { return p.code == 200 && p.status == "ready" }

// pollAlive asks /healthz every 100 ms for d and sends how many answers
// were not 200 (a database outage must not make gridd look dead).
func pollAlive(base string, d time.Duration) <-chan int {
	out := make(chan int, 1)
	go func() {
		c := &http.Client{Timeout: 3 * time.Second}
		bad := 0
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			res, err := c.Get(base + "/healthz")
			if err != nil {
				bad++
				continue
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				bad++
			}
		}
		out <- bad
	}()
	return out
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func pukou(t *testing.T) *bundle.Bundle {
	t.Helper()
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func postOne(t *testing.T, base, ext string) reply {
	b := pukou(t).Buildings[1234]
	return call(t, "POST", base+"/incidents", faultKey, map[string]any{"channel": "video", "external_id": ext,
		"category": "env_litter", "reported_at": time.Now().UTC().Format(time.RFC3339),
		"location": map[string]any{"lon": b.Loc[0], "lat": b.Loc[1]}})
}

// TestFaultDatabaseRestart: PostgreSQL is stopped (pg_ctl stop -m fast)
// and started again while the simulator drives gridd; clients retry.
// Every acknowledged report is stored exactly once, no unit holds two
// cases, /readyz said not ready during the outage (503 "degraded": no
// writes routed here) while /healthz said alive, and ready (200) after,
// and the same gridd serves writes again.
func TestFaultDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("stops a database cluster")
	}
	c := pgtest.Start(t)
	dsn := c.CreateDB(t, "gridd")
	base := startGridd(t, nil, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": faultKeys()})

	acks := &ackSet{}
	cfg := faultSim(base, 11, 60, 10*time.Second, acks)
	cfg.Progress, cfg.ProgressEvery = logWriter{t}, 2*time.Second
	stopPoll := make(chan struct{})
	probes := pollReady(base, stopPoll)
	done := make(chan *sim.Summary, 1)
	go func() {
		sum, err := sim.Run(context.Background(), cfg)
		if err != nil {
			t.Errorf("simulate: %v", err)
		}
		done <- sum
	}()
	acks.waitFor(t, 150)
	stopAt := time.Now()
	c.Stop(t)
	stoppedAt := time.Now() // down for sure from here to restartAt
	alive := pollAlive(base, 3*time.Second)
	time.Sleep(3 * time.Second)
	restartAt := time.Now()
	c.StartAgain(t)
	startAt := time.Now()
	sum := <-done
	if sum == nil {
		t.FailNow()
	}
	var buf bytes.Buffer
	sum.Print(&buf)
	t.Logf("outage %s (stopped %s) – %s (started %s)\n%s", stopAt.Format("15:04:05.000"), stoppedAt.Format("15:04:05.000"),
		restartAt.Format("15:04:05.000"), startAt.Format("15:04:05.000"), buf.String())
	// Ready again (the pool reconnects), then stop polling.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := call(t, "GET", base+"/readyz", "", nil)
		if r.status == 200 && r.str("status") == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready 30 s after the database came back: %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stopPoll)
	ps := <-probes
	var during, readyDuring, after int
	for _, p := range ps {
		switch {
		case p.at.After(stopAt) && p.at.Before(startAt) && p.code == http.StatusServiceUnavailable && p.status == "degraded":
			during++
		case p.at.After(stoppedAt) && p.end.Before(restartAt) && p.code == http.StatusOK:
			readyDuring++
		case p.at.After(startAt) && ready(p):
			after++
		}
	}
	if during == 0 || after == 0 || readyDuring > 0 {
		t.Errorf("/readyz: %d answers 503 degraded during the outage (%d answered 200), %d ready after", during, readyDuring, after)
	}
	if n := <-alive; n > 0 {
		t.Errorf("/healthz: %d answers other than 200 during the outage", n)
	}

	if sum.Failed != 0 || sum.Acked != sum.Sent {
		t.Errorf("%d of %d reports failed (acknowledged %d)", sum.Failed, sum.Sent, sum.Acked)
	}
	if sum.Retried == 0 {
		t.Error("nothing was retried: the outage did not reach the clients")
	}
	if sum.CasesFinished == 0 || sum.CasesDept == 0 || sum.Errors["positions_http_404"]+sum.Positions == 0 {
		t.Errorf("the dispatcher side did not run: %d cases finished, %d by a department, %d positions", sum.CasesFinished, sum.CasesDept, sum.Positions)
	}
	checkAcked(t, dsn, cfg.Seed, acks.all())
	checkUnits(t, dsn)
	if r := postOne(t, base, "after-restart"); r.status != 201 {
		t.Errorf("gridd after the restart: %d %s", r.status, r.body)
	}
}

// griddChild is gridd in a child process (this test binary re-executed).
type griddChild struct {
	cmd  *exec.Cmd
	logs *syncBuffer
}

func startChild(t *testing.T, addr string, env map[string]string, args ...string) *griddChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), faultChildEnv+"="+strings.Join(append([]string{"--addr", addr}, args...), "\x1f"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	g := &griddChild{cmd: cmd, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = g.logs, g.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.kill() })
	deadline := time.Now().Add(3 * time.Minute)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return g
			}
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("the gridd child did not become ready\n%s", g.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (g *griddChild) kill() {
	if g.cmd.Process != nil && g.cmd.ProcessState == nil {
		_ = g.cmd.Process.Kill() // SIGKILL
		_ = g.cmd.Wait()
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestFaultGriddKilled: gridd is killed with SIGKILL while the simulator
// drives it and started again (its clock six hours on, as after a long
// outage); clients retry. Nothing acknowledged is lost, and the
// escalation loop catches up on every case that fell due meanwhile.
func TestFaultGriddKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a subprocess")
	}
	c := pgtest.Start(t)
	dsn := c.CreateDB(t, "gridd")
	addr := freeAddr(t)
	env := map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": faultKeys()}
	first := startChild(t, addr, env, "--escalate-every", "100ms", "--clock-start", time.Now().UTC().Format(time.RFC3339Nano))

	acks := &ackSet{}
	cfg := faultSim("http://"+addr, 12, 60, 8*time.Second, acks)
	cfg.CaseShare = 0 // cases stay reported, so they fall due
	cfg.Progress, cfg.ProgressEvery = logWriter{t}, 2*time.Second
	done := make(chan *sim.Summary, 1)
	go func() {
		sum, err := sim.Run(context.Background(), cfg)
		if err != nil {
			t.Errorf("simulate: %v", err)
		}
		done <- sum
	}()
	acks.waitFor(t, 150)
	first.kill()
	killAt := time.Now()
	t.Logf("killed gridd at %s", killAt.Format("15:04:05.000"))
	time.Sleep(time.Second)
	// Six hours on: every category's dispatch limit (at most 4 h) has passed.
	startChild(t, addr, env, "--escalate-every", "100ms", "--clock-start", time.Now().Add(6*time.Hour).UTC().Format(time.RFC3339Nano))
	sum := <-done
	if sum == nil {
		t.FailNow()
	}
	var buf bytes.Buffer
	sum.Print(&buf)
	t.Log(buf.String())
	if sum.Failed != 0 || sum.Acked != sum.Sent {
		t.Errorf("%d of %d reports failed (acknowledged %d)", sum.Failed, sum.Sent, sum.Acked)
	}
	checkAcked(t, dsn, cfg.Seed, acks.all())
	checkUnits(t, dsn)

	// The cases opened before the kill were due during the downtime: the
	// restarted loop escalates each of them, as the system.
	db := dbConn(t, dsn)
	ctx := context.Background()
	var before int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM cases WHERE reported_at < $1 AND stage = 'reported'`, killAt).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if before == 0 {
		t.Fatal("no case was opened before the kill")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending, bySystem int
		if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE escalation = 0),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'escalate' AND e.actor = 'system'))
			FROM cases c WHERE reported_at < $1 AND stage = 'reported'`, killAt).Scan(&pending, &bySystem); err != nil {
			t.Fatal(err)
		}
		if pending == 0 && bySystem == before {
			t.Logf("%d cases opened before the kill, all escalated after the restart", before)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d cases opened before the kill not escalated (%d by the system)", pending, before, bySystem)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestFaultTwoReplicas: two gridd servers on one PostGIS; dispatchers on
// both dispatch the same units to different cases at the same moment.
// Exactly one dispatch of each unit wins, the other answers 409 naming the
// case the unit holds, and no unit is ever held twice.
func TestFaultTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers")
	}
	c := pgtest.Start(t)
	dsn := c.CreateDB(t, "gridd")
	env := map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": faultKeys()}
	a := startGridd(t, nil, env)
	b := startGridd(t, nil, env) // the store is seeded: b serves it as it is
	pk := pukou(t)
	const units, rounds = 12, 3
	var unitIDs []string
	for i := 0; i < units; i++ {
		unitIDs = append(unitIDs, pk.Patrols[i*7].ID)
	}
	// Cases far apart (not duplicates), filed, alternately on a and b.
	var caseIDs []int
	for i := 0; i < 2*units*rounds; i++ {
		bl := pk.Buildings[(i*397)%len(pk.Buildings)]
		srv := []string{a, b}[i%2]
		r := want(t, "report", call(t, "POST", srv+"/incidents", faultKey, map[string]any{"channel": "110",
			"external_id": fmt.Sprintf("two-%d", i), "category": "str_illegal_parking", "reported_at": time.Now().UTC().Format(time.RFC3339),
			"location": map[string]any{"lon": bl.Loc[0], "lat": bl.Loc[1]}}), 201)
		id := int(r.num("case_id"))
		if r.m["duplicate"] == true {
			continue
		}
		want(t, "file", call(t, "POST", fmt.Sprintf("%s/cases/%d/events", srv, id), faultKey, map[string]any{"action": "file"}), 200)
		caseIDs = append(caseIDs, id)
	}
	if len(caseIDs) < 2*units*rounds-4 {
		t.Fatalf("only %d distinct cases", len(caseIDs))
	}
	next := 0
	for round := 0; round < rounds && next+2*units <= len(caseIDs); round++ {
		type try struct {
			srv    string
			caseID int
			r      reply
		}
		tries := make([][2]try, units)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for u := range unitIDs {
			for k, srv := range []string{a, b} {
				tries[u][k] = try{srv: srv, caseID: caseIDs[next]}
				next++
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					tr := &tries[u][k]
					tr.r = call(t, "POST", fmt.Sprintf("%s/cases/%d/events", tr.srv, tr.caseID), faultKey,
						map[string]any{"action": "dispatch", "unit": unitIDs[u]})
				}()
			}
		}
		close(start)
		wg.Wait()
		for u, pair := range tries {
			var won, lost []try
			for _, tr := range pair {
				switch tr.r.status {
				case 200:
					won = append(won, tr)
				case 409:
					lost = append(lost, tr)
				default:
					t.Fatalf("round %d unit %s: %d %s", round, unitIDs[u], tr.r.status, tr.r.body)
				}
			}
			if len(won) != 1 || len(lost) != 1 {
				t.Fatalf("round %d unit %s: %d dispatches won, %d lost", round, unitIDs[u], len(won), len(lost))
			}
			if int(lost[0].r.num("held_case")) != won[0].caseID || lost[0].r.str("unit") != unitIDs[u] {
				t.Errorf("round %d: the loser's 409 does not name the winner's case %d: %s", round, won[0].caseID, lost[0].r.body)
			}
			// The winner finishes on the other replica; the unit is free again.
			other := map[string]string{a: b, b: a}[won[0].srv]
			for _, s := range []string{"accept", "arrive", "resolve"} {
				want(t, s, call(t, "POST", fmt.Sprintf("%s/cases/%d/events", other, won[0].caseID), faultKey, map[string]any{"action": s}), 200)
			}
		}
		checkUnits(t, dsn)
	}
}
