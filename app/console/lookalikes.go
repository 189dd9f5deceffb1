package console

import (
	"context"
	"slices"

	"aikagi/db"
	vc "aikagi/views/console"
)

// withLookalikes merges into the account's timeline the unmatched requests
// that named its login ID or its address, newest first, within
// timelineLimit: "someone asked with this ID and another address" is often
// the answer to 「メールが届かない」.
func (con *Console) withLookalikes(ctx context.Context, t *vc.Text, acct *db.Account, entries []db.TimelineEntry) ([]vc.Entry, error) {
	found, err := db.Lookalikes(ctx, con.db, acct.LoginID, con.resets.AddressTags(acct.Email), timelineLimit)
	if err != nil {
		return nil, err
	}
	for _, l := range found {
		e := l.TimelineEntry
		e.Detail = t.SameLoginID
		if l.Shared == db.SameAddress {
			e.Detail = t.SameAddress
			if l.LoginID != "" {
				e.Detail += " (" + t.LoginID + ": " + l.LoginID + ")"
			}
		}
		entries = append(entries, e)
	}
	slices.SortStableFunc(entries, func(a, b db.TimelineEntry) int { return b.At.Compare(a.At) })
	if len(entries) > timelineLimit {
		entries = entries[:timelineLimit]
	}
	view := make([]vc.Entry, len(entries))
	now := con.now()
	for i, e := range entries {
		view[i] = vc.Entry{At: t.Moment(e.At, now), Source: string(e.Source), What: e.What, Detail: entryDetail(t, e), IP: e.IP, Staff: e.Staff}
	}
	return view, nil
}
