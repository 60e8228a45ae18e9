package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
)

// TestKeyedEditsEmbedded: retried keyed edits on the embedded store.
func TestKeyedEditsEmbedded(t *testing.T) {
	dir := t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	b, grids := editStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	keyedEditLoop(t, []string{base}, k, grids)
}

// TestKeyedEditsPostGIS: retried keyed edits on PostGIS, the concurrent
// retries sent to two replicas.
func TestKeyedEditsPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	db, err := postgis.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, grids := editStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	env := map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines}
	a := startGridd(t, []string{"--seed=false"}, env)
	c := startGridd(t, []string{"--seed=false"}, env)
	keyedEditLoop(t, []string{a, c}, k, grids)
}

type keyedReply struct {
	reply
	replayed bool
}

func keyedPost(t *testing.T, u, apiKey, idemKey, body string) keyedReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return keyedReply{}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", apiKey)
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return keyedReply{}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := keyedReply{reply: reply{status: res.StatusCode, body: raw}, replayed: res.Header.Get("Idempotent-Replayed") == "true"}
	_ = json.Unmarshal(raw, &out.m)
	return out
}

// keyedEditLoop: a keyed merge applied once, its retries (also re-spaced)
// answered the first answer without a second edit, the key refused with
// another body (422) or malformed (400), an unkeyed retry refused as
// before (the grids are gone), and concurrent identical keyed merges
// (spread over the servers given) applying the merge once.
func keyedEditLoop(t *testing.T, bases []string, k caseKeys, grids []gridplan.Grid) {
	base := bases[0]
	newDraft := func() int {
		r := want(t, "draft of 1", call(t, "POST", base+"/plans/1/drafts", k.planner, nil), 201)
		var d int
		fmt.Sscan(r.str("id"), &d)
		return d
	}
	merge := fmt.Sprintf(`{"op":"merge","grids":["%s","%s"]}`, grids[0].Code, grids[1].Code)
	d := newDraft()
	u := fmt.Sprintf("%s/plans/%d/edits", base, d)
	first := keyedPost(t, u, k.planner, "merge-1", merge)
	if first.status != 200 || first.replayed {
		t.Fatalf("first keyed merge: %d replayed=%v %s", first.status, first.replayed, first.body)
	}
	n := len(planGrids(t, base, k.planner, d))
	for i, body := range []string{merge, strings.ReplaceAll(merge, ",", ", ") + "\n"} {
		again := keyedPost(t, u, k.planner, "merge-1", body)
		if again.status != 200 || !again.replayed || !bytes.Equal(again.body, first.body) {
			t.Fatalf("retry %d: %d replayed=%v %s", i, again.status, again.replayed, again.body)
		}
	}
	if got := len(planGrids(t, base, k.planner, d)); got != n {
		t.Fatalf("retries changed the draft: %d grids, want %d", got, n)
	}
	other := keyedPost(t, u, k.planner, "merge-1", fmt.Sprintf(`{"op":"lock","grids":["%s"]}`, grids[2].Code))
	if other.status != 422 || !reflectField(other.reply, "Idempotency-Key") {
		t.Fatalf("key reused with another body: %d %s", other.status, other.body)
	}
	bad := keyedPost(t, u, k.planner, strings.Repeat("x", 201), merge)
	if bad.status != 400 || !reflectField(bad.reply, "Idempotency-Key") {
		t.Fatalf("a 201-byte key: %d %s", bad.status, bad.body)
	}
	unkeyed := keyedPost(t, u, k.planner, "", merge)
	if unkeyed.status != 422 {
		t.Fatalf("an unkeyed retried merge: %d %s (want 422: the second grid is gone)", unkeyed.status, unkeyed.body)
	}
	// The key is per plan: on another draft it applies afresh.
	d2 := newDraft()
	if r := keyedPost(t, fmt.Sprintf("%s/plans/%d/edits", base, d2), k.planner, "merge-1", merge); r.status != 200 || r.replayed {
		t.Fatalf("the key on another draft: %d replayed=%v %s", r.status, r.replayed, r.body)
	}

	// Concurrent identical keyed merges, over every server.
	d3 := newDraft()
	before := len(planGrids(t, base, k.planner, d3))
	const clients = 6
	replies := concurrently(clients, func(i int) keyedReply {
		return keyedPost(t, fmt.Sprintf("%s/plans/%d/edits", bases[i%len(bases)], d3), k.planner, "race", merge)
	})
	applied := 0
	for i, r := range replies {
		if r.status != 200 || !bytes.Equal(r.body, replies[0].body) {
			t.Fatalf("concurrent keyed merge %d: %d %s (first answer %s)", i, r.status, r.body, replies[0].body)
		}
		if !r.replayed {
			applied++
		}
	}
	if applied != 1 {
		t.Fatalf("%d of %d concurrent keyed merges applied, want 1", applied, clients)
	}
	if got := len(planGrids(t, base, k.planner, d3)); got != before-1 {
		t.Fatalf("after concurrent keyed merges the draft has %d grids, want %d (one merge)", got, before-1)
	}
	keyedDrafts(t, bases, k)
}

// keyedDrafts: concurrent POST /plans/1/drafts with one Idempotency-Key,
// spread over every server, make one draft, and every client gets its
// answer and Location; a later retry too; the key sent to another route
// of the plan is 422 naming the header; without a key a retry makes
// another draft, as documented.
func keyedDrafts(t *testing.T, bases []string, k caseKeys) {
	base := bases[0]
	plans := func() int {
		r := want(t, "plans", call(t, "GET", base+"/plans", k.planner, nil), 200)
		ps, _ := r.m["plans"].([]any)
		return len(ps)
	}
	before := plans()
	const clients = 6
	locations := make([]string, clients)
	replies := concurrently(clients, func(i int) (r keyedReply) {
		r, locations[i] = keyedPostLocation(t, bases[i%len(bases)]+"/plans/1/drafts", k.planner, "draft-1")
		return r
	})
	made := 0
	for i, r := range replies {
		if r.status != 201 || !bytes.Equal(r.body, replies[0].body) || locations[i] == "" || locations[i] != locations[0] {
			t.Fatalf("concurrent keyed draft %d: %d %s at %q (first: %s at %q)", i, r.status, r.body, locations[i], replies[0].body, locations[0])
		}
		if !r.replayed {
			made++
		}
	}
	if made != 1 || plans() != before+1 {
		t.Fatalf("%d of %d concurrent keyed drafts made one, plans %d → %d; want one draft", made, clients, before, plans())
	}
	if fmt.Sprintf("/plans/%v", replies[0].m["id"]) != locations[0] {
		t.Fatalf("draft answer %s, Location %q", replies[0].body, locations[0])
	}
	later, loc := keyedPostLocation(t, base+"/plans/1/drafts", k.planner, "draft-1")
	if later.status != 201 || !later.replayed || loc != locations[0] || plans() != before+1 {
		t.Fatalf("a later retry: %d replayed=%v at %q, %d plans", later.status, later.replayed, loc, plans())
	}
	other := keyedPost(t, base+"/plans/1/edits", k.planner, "draft-1", `{"op":"lock","grids":["x"]}`)
	if other.status != 422 || !reflectField(other.reply, "Idempotency-Key") {
		t.Fatalf("the drafts key on the edits route: %d %s", other.status, other.body)
	}
	if r := keyedPost(t, base+"/plans/1/drafts", k.planner, "draft-2", ""); r.status != 201 || r.replayed || plans() != before+2 {
		t.Fatalf("a new key: %d replayed=%v, %d plans", r.status, r.replayed, plans())
	}
	if r := keyedPost(t, base+"/plans/999999/drafts", k.planner, "draft-1", ""); r.status != 404 {
		t.Fatalf("a keyed draft of no plan: %d %s", r.status, r.body)
	}
}

// keyedPostLocation is keyedPost with an empty body, answering the
// Location header too.
func keyedPostLocation(t *testing.T, u, apiKey, idemKey string) (keyedReply, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, nil)
	if err != nil {
		t.Error(err)
		return keyedReply{}, ""
	}
	req.Header.Set("X-API-Key", apiKey)
	req.Header.Set("Idempotency-Key", idemKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return keyedReply{}, ""
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := keyedReply{reply: reply{status: res.StatusCode, body: raw}, replayed: res.Header.Get("Idempotent-Replayed") == "true"}
	_ = json.Unmarshal(raw, &out.m)
	return out, res.Header.Get("Location")
}

// concurrently makes n calls at once and answers their replies in order.
func concurrently[T any](n int, call func(i int) T) []T {
	out := make([]T, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = call(i)
		}()
	}
	wg.Wait()
	return out
}
