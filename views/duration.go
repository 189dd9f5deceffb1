package views

import "time"

// Duration says d in l, to the second, leaving out the parts that are
// zero: 4分30秒, 4 minutes 30 seconds.
func Duration(l Lang, d time.Duration) string {
	if l == En {
		return enDuration(d)
	}
	return jaDuration(d)
}
