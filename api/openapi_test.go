package api

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"
)

// TestOpenAPI checks /api is a valid OpenAPI 3.0 document and that it
// describes every route registered with the router, with its methods.
func TestOpenAPI(t *testing.T) {
	s, _, ts := newTestServer(t)
	r := do(t, ts, "GET", "/api", nil)
	if r.status != 200 {
		t.Fatal(r.status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	stripRegex := regexp.MustCompile(`\{([^}:]+):[^}]*\}`)
	n := 0
	seen := map[string]bool{} // a path may have a route per method (GET and POST /plans)
	err = s.router.Walk(func(route *mux.Route, router *mux.Router, ancestors []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		path := stripRegex.ReplaceAllString(tpl, "{$1}")
		item := doc.Paths.Find(path)
		if item == nil {
			t.Errorf("route %s is not in the OpenAPI document", path)
			return nil
		}
		methods, _ := route.GetMethods()
		for _, m := range methods {
			if m == "HEAD" {
				continue
			}
			if item.GetOperation(strings.ToUpper(m)) == nil {
				t.Errorf("%s %s is not in the OpenAPI document", m, path)
			}
		}
		if !seen[path] {
			seen[path] = true
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 14 {
		t.Errorf("only %d routes walked", n)
	}
	if doc.Paths.Len() != n {
		t.Errorf("the document has %d paths, the router %d", doc.Paths.Len(), n)
	}
}
