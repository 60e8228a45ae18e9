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

	"github.com/gridd/gridd/errs"
)

// Role is what an API key may do. Roles are ordered: each includes the
// ones below it.
type Role string

const (
	RolePublic     Role = "public"     // read public layers, submit incidents; no key needed
	RoleDispatcher Role = "dispatcher" // work incidents and patrols
	RolePlanner    Role = "planner"    // draft and publish plans
	RoleAdmin      Role = "admin"      // operate the service
)

var roleRank = map[Role]int{RolePublic: 0, RoleDispatcher: 1, RolePlanner: 2, RoleAdmin: 3}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := roleRank[r]; !ok {
		return "", errs.E(errs.Invalid, "role", "%q is not a role; want public, dispatcher, planner or admin", clip(s, 40))
	}
	return r, nil
}

// Includes reports whether r has at least the rights of need.
func (r Role) Includes(need Role) bool { return roleRank[r] >= roleRank[need] }

// key is one configured API key: only the SHA-256 of the secret is held.
type key struct {
	hash [sha256.Size]byte
	role Role
	name string
}

// Keys is the set of configured API keys. The zero value has none.
type Keys struct {
	keys []key
}

// Len returns the number of keys.
func (k *Keys) Len() int { return len(k.keys) }

// ParseKeys reads key lines "sha256hex role name": the hex SHA-256 of the
// secret, its role, and a name for logs. Blank lines and lines starting
// with # are skipped; source names the input in errors. Lines may also be
// separated by ';' so that one environment variable can hold several.
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
			f := strings.Fields(line)
			where := fmt.Sprintf("%s:%d", source, n)
			if len(f) < 2 {
				return nil, errs.E(errs.Invalid, where, "want \"sha256hex role [name]\"")
			}
			h, err := hex.DecodeString(f[0])
			if err != nil || len(h) != sha256.Size {
				return nil, errs.E(errs.Invalid, where, "the key must be given as the 64-digit hex SHA-256 of the secret, not the secret itself")
			}
			role, err := ParseRole(f[1])
			if err != nil {
				return nil, errs.E(errs.Invalid, where, "%s", err.(*errs.Error).Msg)
			}
			k := key{role: role, name: strings.Join(f[2:], " ")}
			copy(k.hash[:], h)
			ks.keys = append(ks.keys, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "reading "+source)
	}
	return ks, nil
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
		if !present {
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

// requireRole wraps h so that callers below role get 401 (no key) or 403
// (a key with too small a role).
func (s *Server) requireRole(role Role, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.checkRole(r, role); err != nil {
			return err
		}
		return h(w, r)
	}
}

// roleOf is the caller's role: public without a key, else the key's
// (authenticate has already refused keys that match nothing).
func (s *Server) roleOf(r *http.Request) Role {
	secret, present := credential(r)
	if !present {
		return RolePublic
	}
	if k, ok := s.keys.lookup(secret); ok {
		return k.role
	}
	return RolePublic
}

// checkRole is requireRole's test, for handlers whose role depends on the
// resource (a collection).
func (s *Server) checkRole(r *http.Request, role Role) error {
	if role == RolePublic {
		return nil
	}
	have := s.roleOf(r)
	if have.Includes(role) {
		return nil
	}
	if _, present := credential(r); !present {
		return errs.E(errs.Unauthorized, "Authorization", "this resource needs the %s role; send an API key", role)
	}
	return errs.E(errs.Forbidden, "Authorization", "this resource needs the %s role; the key has %s", role, have)
}

// headerValue is Header.Get for a key already in canonical form.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}
