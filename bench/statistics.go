// Statistics over latencies: percentiles, the difference of medians, the
// two-sample Kolmogorov–Smirnov test and its control.

package main

import (
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"
)

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Microsecond)
}

// delta is the difference of two medians, signed.
func delta(a, b []time.Duration) string {
	d := pct(a, 50) - pct(b, 50)
	return fmt.Sprintf("%+.2f ms", float64(d)/float64(time.Millisecond))
}

// perSecond lists the p50 and p99 of each second of a fixedRate run.
func perSecond(lat []time.Duration, rate int) string {
	var parts []string
	for start := 0; start < len(lat); start += rate {
		ok := slices.DeleteFunc(slices.Clone(lat[start:min(len(lat), start+rate)]), func(d time.Duration) bool { return d < 0 })
		parts = append(parts, fmt.Sprintf("%s / %s", pct(ok, 50), pct(ok, 99)))
	}
	return strings.Join(parts, "; ")
}

// ksDistance is the two-sample Kolmogorov–Smirnov statistic, with its
// critical value at the 5 % level: a distance below it means the two
// samples are indistinguishable.
func ksDistance(a, b []time.Duration) (d, critical float64) {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	n, m := float64(len(a)), float64(len(b))
	return d, 1.358 * math.Sqrt((n+m)/(n*m))
}

// randomHalves splits ds at random into two halves, for a control: two
// samples of the same thing, to show how far apart noise alone puts them.
func randomHalves(ds []time.Duration) (a, b []time.Duration) {
	for _, i := range mrand.Perm(len(ds)) {
		if len(a) < len(ds)/2 {
			a = append(a, ds[i])
		} else {
			b = append(b, ds[i])
		}
	}
	return a, b
}

// ksCell is the KS distance of a and b, its critical value and what they
// say.
func ksCell(a, b []time.Duration) string {
	d, crit := ksDistance(a, b)
	if d < crit {
		return fmt.Sprintf("%.3f (%.3f), indistinguishable", d, crit)
	}
	return fmt.Sprintf("%.3f (%.3f), distinguishable", d, crit)
}
