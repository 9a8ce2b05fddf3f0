package cli

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// BenchmarkFleetApply measures fleet apply on an empty organization, every
// request to AWS slowed by the same latency through the fault proxy (the
// emulator answers in a few milliseconds; AWS from a laptop in tens to
// hundreds). Each sub-benchmark runs one apply on a fresh organization
// (run it with -benchtime 1x) and reports the wall time, the time per
// account and the speed-up over --parallel 1 of the same series
// (docs/fleet.md, "Speed"):
//
//	go test -run '^$' -bench FleetApply -benchtime 1x -timeout 60m ./internal/cli/
func BenchmarkFleetApply(b *testing.B) {
	if moto == nil {
		b.Skip("moto_server not available")
	}
	series := []struct {
		latency  time.Duration
		accounts int
		parallel []int
	}{
		{100 * time.Millisecond, 25, []int{1, 4, 8, 16}},
		{100 * time.Millisecond, 1, []int{8}},
		{100 * time.Millisecond, 10, []int{8}},
		{100 * time.Millisecond, 50, []int{8}},
		{200 * time.Millisecond, 16, []int{1, 8}},
		{0, 16, []int{1, 8}},
	}
	for _, s := range series {
		var serial time.Duration
		for _, p := range s.parallel {
			name := fmt.Sprintf("latency=%s/accounts=%d/parallel=%d", s.latency, s.accounts, p)
			b.Run(name, func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					org := moto.NewOrganization(b, s.accounts)
					proxy := faults.Start(b, moto.URL, faults.Options{Latency: s.latency})
					if s.latency > 0 {
						proxy.SetRule(func(faults.Request) faults.Fault { return faults.Fault{Kind: faults.Latency, Delay: s.latency} })
					}
					mgmt := proxy.Via(org.Management)
					b.StartTimer()
					start := time.Now()
					res := rciam(b, mgmt, runOpts{ctx: benchContext(b)}, "apply", "--ou", org.OUs[0], "--yes", "--parallel", strconv.Itoa(p))
					took := time.Since(start)
					b.StopTimer()
					if res.code != 0 {
						b.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
					}
					if p == 1 {
						serial = took
					}
					b.ReportMetric(took.Seconds(), "s/run")
					b.ReportMetric(took.Seconds()/float64(s.accounts), "s/account")
					if serial > 0 {
						b.ReportMetric(serial.Seconds()/took.Seconds(), "speedup")
					}
				}
			})
		}
	}
}

// benchContext bounds one benchmarked run (rciam's test helper gives
// runs two minutes; a serial fleet with added latency needs more).
func benchContext(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	b.Cleanup(cancel)
	return ctx
}
