package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// idemRouteEdits names POST /plans/{id}/edits in stored answers.
const idemRouteEdits = "edits"

// postEditKeyed is POST /plans/{id}/edits with an Idempotency-Key: the
// first answer to (plan, key) is stored with the edit, in its
// transaction; a retry with the same key and the same body (compared as
// compact JSON) gets that answer again, marked Idempotent-Replayed,
// without applying the edit twice; the same key with another body is 422
// naming the header. Refused edits store nothing (a retry is refused
// again, or applies if the draft changed meanwhile).
func (s *Server) postEditKeyed(w http.ResponseWriter, r *http.Request, id gridplan.PlanID) error {
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
	// replay answers a stored answer of key, if there is one.
	replay := func() (bool, error) {
		a, err := s.st.KeyedAnswer(r.Context(), id, key)
		if errs.Is(err, errs.NotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if a.Route != idemRouteEdits || a.RequestSHA256 != sum {
			return false, &errs.Error{Code: errs.Invalid, Field: idemHeader, Err: store.ErrKeyReused,
				Msg: "this key was used for another request on plan " + id.String() + " (at " + a.CreatedAt.UTC().Format(time.RFC3339) + "); send a new key for a new edit"}
		}
		h := w.Header()
		h.Set("Content-Type", mediaJSON)
		h.Set("Content-Length", strconv.Itoa(len(a.Body)))
		h.Set("Idempotent-Replayed", "true")
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
		return true, nil
	}
	editMu.Lock()
	defer editMu.Unlock()
	if done, err := replay(); done || err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var e gridplan.Edit
	if err := decodeBody(r, &e); err != nil {
		return err
	}
	var b *bundle.Bundle
	if c := s.cat.Load(); c != nil {
		b = c.bundle
	}
	var body []byte
	_, err = store.EditPlanKeyed(r.Context(), s.st, id, b, e, partition.Grids, func(res *gridplan.EditResult) (store.KeyedAnswer, error) {
		out, err := newEditJSON(id, e.Op, res)
		if err != nil {
			return store.KeyedAnswer{}, err
		}
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(out); err != nil {
			return store.KeyedAnswer{}, errs.Wrap(errs.Internal, err, "encode the answer")
		}
		body = buf.Bytes()
		return store.KeyedAnswer{Key: key, Route: idemRouteEdits, RequestSHA256: sum, Status: http.StatusOK, Body: body,
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}, nil
	})
	if err != nil {
		// Another replica may have applied the same keyed request
		// meanwhile (its edit then conflicts with ours, or its key
		// does): answer its stored answer.
		if done, rerr := replay(); done || rerr != nil {
			return rerr
		}
		return err
	}
	h := w.Header()
	h.Set("Content-Type", mediaJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
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
