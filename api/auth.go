package api

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/errs"
)

// key is one configured API key: only the SHA-256 of the secret is held.
type key struct {
	hash [sha256.Size]byte
	who  access.Principal
}

// Keys is the set of configured API keys. The zero value has none.
type Keys struct {
	keys []key
}

// Len returns the number of keys.
func (k *Keys) Len() int { return len(k.keys) }

// ParseKeys reads key lines "sha256hex roles name": the hex SHA-256 of the
// secret, its roles comma-separated (intake, unit, department, dispatcher,
// planner, admin; "public" for none), and a name for logs. A key with the
// unit role names its unit with a "unit=ID" word, one with the department
// role its department with "department=CODE", anywhere after the roles.
// Blank lines and lines starting with # are skipped; source names the
// input in errors. Lines may also be separated by ';' so that one
// environment variable can hold several.
func ParseKeys(r io.Reader, source string) (*Keys, error) {
	ks := &Keys{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		for _, line := range strings.Split(sc.Text(), ";") {
			n++
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, err := parseKeyLine(line)
			if err != nil {
				return nil, errs.E(errs.Invalid, fmt.Sprintf("%s:%d", source, n), "%s", err.Msg)
			}
			ks.keys = append(ks.keys, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "reading "+source)
	}
	return ks, nil
}

// parseKeyLine reads one non-blank key line.
func parseKeyLine(line string) (key, *errs.Error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return key{}, errs.E(errs.Invalid, "", "want \"sha256hex roles [unit=ID|department=CODE] [name]\"")
	}
	h, err := hex.DecodeString(f[0])
	if err != nil || len(h) != sha256.Size {
		return key{}, errs.E(errs.Invalid, "", "the key must be given as the 64-digit hex SHA-256 of the secret, not the secret itself")
	}
	roles, err := access.ParseRoles(f[1])
	if err != nil {
		return key{}, errs.E(errs.Invalid, "", "%s", err.(*errs.Error).Msg)
	}
	k := key{who: access.Principal{Roles: roles}}
	copy(k.hash[:], h)
	var name []string
	for _, w := range f[2:] {
		attr, val, isAttr := strings.Cut(w, "=")
		var dst *string
		switch {
		case isAttr && attr == "unit":
			dst = &k.who.Unit
		case isAttr && attr == "department":
			dst = &k.who.Department
		default:
			name = append(name, w)
			continue
		}
		if val == "" || *dst != "" {
			return key{}, errs.E(errs.Invalid, "", "%s= must be given once, with a value", attr)
		}
		*dst = val
	}
	k.who.Name = strings.Join(name, " ")
	if err := k.who.Validate(); err != nil {
		return key{}, errs.E(errs.Invalid, "", "%s", err.(*errs.Error).Msg)
	}
	return k, nil
}

// HashKey returns the hex SHA-256 of a secret, the form key files hold.
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// lookup finds the key for secret. It compares against every configured
// hash in constant time, so timing reveals neither which key matched nor
// how much of a hash did.
func (k *Keys) lookup(secret string) (key, bool) {
	h := sha256.Sum256([]byte(secret))
	var found key
	ok := 0
	for _, c := range k.keys {
		eq := subtle.ConstantTimeCompare(h[:], c.hash[:])
		if eq == 1 && ok == 0 {
			found = c
		}
		ok |= eq
	}
	return found, ok == 1
}

// credential extracts the API key from Authorization: Bearer or X-API-Key.
func credential(r *http.Request) (string, bool) {
	// Direct map lookups with the canonical keys: Header.Get would
	// canonicalise "X-API-Key" on every request.
	if a := headerValue(r.Header, "Authorization"); a != "" {
		scheme, tok, _ := strings.Cut(a, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok), true
		}
		return "", true // another scheme: present but unusable
	}
	if k := headerValue(r.Header, "X-Api-Key"); k != "" {
		return strings.TrimSpace(k), true
	}
	return "", false
}

// authenticate resolves the caller's role: no credential is public; a
// credential that matches no key is 401, whatever the route, so a typo in
// a key never silently downgrades a client to public.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, present := credential(r)
		if !present || probePaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		_, ok := s.keys.lookup(secret)
		if secret == "" || !ok {
			s.writeProblem(w, r, errs.E(errs.Unauthorized, "Authorization", "the API key is not valid; send \"Authorization: Bearer KEY\" or \"X-API-Key: KEY\" with a configured key, or no key for public access"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAny wraps a handler so that only callers holding one of roles
// (or admin) reach it: others get 401 without a key, 403 with one.
func (s *Server) requireAny(roles ...access.Role) func(handlerFunc) handlerFunc {
	return func(h handlerFunc) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			if err := s.checkAny(r, roles...); err != nil {
				return err
			}
			return h(w, r)
		}
	}
}

// principalOf is who the request acts as: the public without a key, else
// the key's principal (authenticate has already refused keys that match
// nothing).
func (s *Server) principalOf(r *http.Request) access.Principal {
	secret, present := credential(r)
	if !present {
		return access.Principal{}
	}
	if k, ok := s.keys.lookup(secret); ok {
		return k.who
	}
	return access.Principal{}
}

// checkAny is requireAny's test, for handlers whose roles depend on the
// resource (a collection): nil when the caller holds one of roles or
// admin, or when roles is empty (public).
func (s *Server) checkAny(r *http.Request, roles ...access.Role) error {
	if len(roles) == 0 {
		return nil
	}
	p := s.principalOf(r)
	if p.Any(roles...) {
		return nil
	}
	need := access.Of(roles...).String()
	if _, present := credential(r); !present {
		return errs.E(errs.Unauthorized, "Authorization", "this resource needs one of the roles %s; send an API key", need)
	}
	return errs.E(errs.Forbidden, "Authorization", "this resource needs one of the roles %s; the key has %s", need, p.Roles)
}

// headerValue is Header.Get for a key already in canonical form.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}
