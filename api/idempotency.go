package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/store"
)

// idemHeader is the request header that makes a planner edit idempotent.
const idemHeader = "Idempotency-Key"

// The routes whose answers are kept under a key, as stored.
const (
	idemRouteEdits  = "edits"  // POST /plans/{id}/edits
	idemRouteDrafts = "drafts" // POST /plans/{id}/drafts
)

// keyedApply applies a keyed request whose body is raw: it writes, in
// one transaction with its change, the answer stamp makes of (status,
// body), and answers them. It is called with the request's lock held.
type keyedApply func(raw []byte, stamp func(status int, body []byte) store.KeyedAnswer) (status int, body []byte, err error)

// serveKeyed is the Idempotency-Key protocol of a POST on plan id: the
// first answer to (plan, key) is stored with the change, in its
// transaction; a retry with the same key and the same body (compared as
// compact JSON) gets that answer again, marked Idempotent-Replayed,
// without applying the request twice; the same key on another route or
// with another body is 422 naming the header. Refused requests store
// nothing (a retry is refused again, or applies if the plan changed
// meanwhile). headers sets the answer's headers from its body, for the
// first answer and a replay alike (a draft's Location).
func (s *Server) serveKeyed(w http.ResponseWriter, r *http.Request, id gridplan.PlanID, route string, headers func(h http.Header, body []byte), apply keyedApply) error {
	key := r.Header.Get(idemHeader)
	if len(r.Header.Values(idemHeader)) > 1 {
		return errs.E(errs.Invalid, idemHeader, "send one %s", idemHeader)
	}
	if err := store.CheckIdemKey(key); err != nil {
		return err
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "body", "the body is larger than %d bytes", mbe.Limit)
		}
		return errs.Wrap(errs.Invalid, err, "cannot read the body")
	}
	sum := requestSHA256(raw)
	write := func(status int, body []byte, replayed bool) {
		h := w.Header()
		if headers != nil {
			headers(h, body)
		}
		h.Set("Content-Type", mediaJSON)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if replayed {
			h.Set("Idempotent-Replayed", "true")
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	// replay answers a stored answer of key, if there is one.
	replay := func() (bool, error) {
		a, err := s.st.KeyedAnswer(r.Context(), id, key)
		if errs.Is(err, errs.NotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if a.Route != route || a.RequestSHA256 != sum {
			return false, &errs.Error{Code: errs.Invalid, Field: idemHeader, Err: store.ErrKeyReused,
				Msg: "this key was used for another request on plan " + id.String() + " (at " + a.CreatedAt.UTC().Format(time.RFC3339) + "); send a new key for a new request"}
		}
		write(a.Status, a.Body, true)
		return true, nil
	}
	editMu.Lock()
	defer editMu.Unlock()
	if done, err := replay(); done || err != nil {
		return err
	}
	stamp := func(status int, body []byte) store.KeyedAnswer {
		return store.KeyedAnswer{Key: key, Route: route, RequestSHA256: sum, Status: status, Body: body,
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	}
	status, body, err := apply(raw, stamp)
	if err != nil {
		// Another replica may have applied the same keyed request
		// meanwhile (its change then conflicts with ours, or its key
		// does): answer its stored answer.
		if done, rerr := replay(); done || rerr != nil {
			return rerr
		}
		return err
	}
	write(status, body, false)
	return nil
}

// encodeAnswer is v as the JSON body of an answer.
func encodeAnswer(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "encode the answer")
	}
	return buf.Bytes(), nil
}

// postEditKeyed is POST /plans/{id}/edits with an Idempotency-Key
// (serveKeyed): the edit and its answer are written together.
func (s *Server) postEditKeyed(w http.ResponseWriter, r *http.Request, id gridplan.PlanID) error {
	return s.serveKeyed(w, r, id, idemRouteEdits, nil, func(raw []byte, stamp func(int, []byte) store.KeyedAnswer) (int, []byte, error) {
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var e gridplan.Edit
		if err := decodeBody(r, &e); err != nil {
			return 0, nil, err
		}
		var b *bundle.Bundle
		if c := s.cat.Load(); c != nil {
			b = c.bundle
		}
		var body []byte
		_, err := store.EditPlanKeyed(r.Context(), s.st, id, b, e, partition.Grids, func(res *gridplan.EditResult) (store.KeyedAnswer, error) {
			out, err := newEditJSON(id, e.Op, res)
			if err != nil {
				return store.KeyedAnswer{}, err
			}
			if body, err = encodeAnswer(out); err != nil {
				return store.KeyedAnswer{}, err
			}
			return stamp(http.StatusOK, body), nil
		})
		return http.StatusOK, body, err
	})
}

// postDraftKeyed is POST /plans/{id}/drafts with an Idempotency-Key
// (serveKeyed): the draft and its answer are written together, so a
// retry answers the same draft instead of making another. The body, if
// any, is not read: the key alone names the request.
func (s *Server) postDraftKeyed(w http.ResponseWriter, r *http.Request, id gridplan.PlanID, name string) error {
	location := func(h http.Header, body []byte) {
		var d struct {
			ID gridplan.PlanID `json:"id"`
		}
		if json.Unmarshal(body, &d) == nil && d.ID != 0 {
			h.Set("Location", fmt.Sprintf("/plans/%d", d.ID))
		}
	}
	return s.serveKeyed(w, r, id, idemRouteDrafts, location, func(_ []byte, stamp func(int, []byte) store.KeyedAnswer) (int, []byte, error) {
		var body []byte
		_, err := s.st.CreateDraftKeyed(r.Context(), id, name, func(nid gridplan.PlanID) (store.KeyedAnswer, error) {
			var err error
			if body, err = encodeAnswer(draftJSON(nid, id)); err != nil {
				return store.KeyedAnswer{}, err
			}
			return stamp(http.StatusCreated, body), nil
		})
		return http.StatusCreated, body, err
	})
}

// requestSHA256 is the hex SHA-256 of a JSON body in compact form (so
// that a client re-encoding the same request with other spacing matches),
// or of the bytes as sent when they are not JSON.
func requestSHA256(raw []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		raw = buf.Bytes()
	}
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}
