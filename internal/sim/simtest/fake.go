// Package simtest is a stand-in gridd for tests of the simulator and of
// gridctl simulate: it serves a small district and answers reports with
// injected failures.
package simtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Fake is a stand-in gridd for simulator tests: it answers the routes the simulator uses. Every 7th report's
// first attempt answers 503 before storing; every 11th is stored and then
// answered 503 (a lost answer): the retry must get the stored id back.
type Fake struct {
	mu       sync.Mutex
	ByKey    map[string]int64
	attempts map[string]int
	Events   int
	next     int64
}

// NewFake returns an empty fake gridd.
func NewFake() *Fake {
	return &Fake{ByKey: map[string]int64{}, attempts: map[string]int{}}
}

const fakeStreet = `{"type":"FeatureCollection","features":[{"type":"Feature","id":"S1","properties":{"code":"S1","name":"s"},
	"geometry":{"type":"MultiPolygon","coordinates":[[[[118,32],[118.02,32],[118.02,32.02],[118,32.02],[118,32]]]]}}]}`

func fakeBuildings() string {
	var fs []string
	for i := 0; i < 60; i++ {
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","id":"B%02d","properties":{"id":"B%02d","address":"测试路%d号"},"geometry":{"type":"Point","coordinates":[%f,%f]}}`,
			i, i, i+1, 118.001+float64(i%8)*0.0025, 32.001+float64(i/8)*0.0025))
	}
	return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
}

func fakeUnits() string {
	var fs []string
	for i := 0; i < 5; i++ {
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","id":"U%d","properties":{"id":"U%d","street_code":"S1"},"geometry":{"type":"Point","coordinates":[118.01,32.01]}}`, i, i))
	}
	return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	page := func(body string) {
		if r.URL.Query().Get("offset") != "0" {
			body = `{"type":"FeatureCollection","features":[]}`
		}
		w.Write([]byte(body))
	}
	switch {
	case r.URL.Path == "/collections/streets/items":
		page(fakeStreet)
	case r.URL.Path == "/collections/buildings/items":
		page(fakeBuildings())
	case r.URL.Path == "/collections/patrols/items":
		page(fakeUnits())
	case r.URL.Path == "/open311/v2/services.json":
		w.Write([]byte(`[{"service_code":"env_litter"},{"service_code":"env_sewage"},{"service_code":"str_illegal_parking"}]`))
	case r.URL.Path == "/incidents" || r.URL.Path == "/open311/v2/requests.json":
		var key string
		var seq int
		if r.URL.Path == "/incidents" {
			var body struct {
				Channel    string `json:"channel"`
				ExternalID string `json:"external_id"`
			}
			json.NewDecoder(r.Body).Decode(&body)
			key = body.Channel + "/" + body.ExternalID
			seq, _ = strconv.Atoi(body.ExternalID[strings.LastIndex(body.ExternalID, "-")+1:])
		} else {
			r.ParseForm()
			d := r.PostForm.Get("description")
			key = "open311/" + d
			seq, _ = strconv.Atoi(d[strings.LastIndex(d, "-")+1:])
		}
		f.mu.Lock()
		f.attempts[key]++
		n := f.attempts[key]
		if seq%7 == 3 && n == 1 {
			f.mu.Unlock()
			http.Error(w, "down", 503)
			return
		}
		id, ok := f.ByKey[key]
		if !ok {
			f.next++
			id = f.next
			f.ByKey[key] = id
		}
		f.mu.Unlock()
		if seq%11 == 5 && n == 1 {
			http.Error(w, "lost", 503)
			return
		}
		status := 200
		if !ok {
			status = 201
		}
		w.WriteHeader(status)
		if strings.HasPrefix(key, "open311/") {
			fmt.Fprintf(w, `[{"service_request_id":"%d"}]`, id)
			return
		}
		fmt.Fprintf(w, `{"id":%d,"case_id":%d,"duplicate":false,"routing":{"unit":"U%d"}}`, id, 1000+id, id%5)
	case strings.HasPrefix(r.URL.Path, "/cases/"):
		f.mu.Lock()
		f.Events++
		f.mu.Unlock()
		w.Write([]byte(`{"stage":"ok","location":{"lon":118.01,"lat":32.01}}`))
	case r.URL.Path == "/units/positions":
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}
