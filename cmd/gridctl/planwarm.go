package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// warmFlags are gridctl plan's warm-start flags (issue 14): --previous
// PLAN (a plan GeoJSON to start from), --locked CODES (grids of it kept
// as they are) and --community CODES (re-plan only those communities;
// the other grids of PLAN are kept); gridplan.Warm does the work.
type warmFlags struct {
	previous, locked, community string
}

func splitCodes(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// apply reads the previous plan and applies gridplan.Warm: p.Previous,
// p.Locked and, with --community, the narrowed bundle.
func (w warmFlags) apply(b *bundle.Bundle, p *gridplan.Params) (*gridplan.WarmStart, error) {
	var warm gridplan.Warm
	if w.previous == "" {
		if w.locked != "" || w.community != "" {
			return nil, fmt.Errorf("%w: --locked and --community need --previous PLAN", errUsage)
		}
		return warm.Apply(b, p)
	}
	f, err := os.Open(w.previous)
	if err != nil {
		return nil, fmt.Errorf("--previous: %w", err)
	}
	defer f.Close()
	if warm.Previous, err = gridplan.ReadGeoJSON(f); err != nil {
		return nil, fmt.Errorf("--previous %s: %w", w.previous, err)
	}
	for _, c := range splitCodes(w.locked) {
		warm.Locked = append(warm.Locked, bundle.GridCode(c))
	}
	for _, c := range splitCodes(w.community) {
		warm.Communities = append(warm.Communities, bundle.CommunityCode(c))
	}
	ws, err := warm.Apply(b, p)
	if e, ok := errs.As(err); ok && errs.Is(err, errs.Invalid) {
		flag := "--community"
		if strings.HasPrefix(e.Field, "locked") {
			flag = "--locked"
		}
		return nil, fmt.Errorf("%w: %s: %s (%s)", errUsage, flag, e.Msg, w.previous)
	}
	return ws, err
}
