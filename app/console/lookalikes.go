package console

import (
	"context"
	"strconv"

	"aikagi/db"
	vc "aikagi/views/console"
)

// lookalikesShown is how many look-alike requests the account page shows
// at a time: a few, so that a flood of them can neither bury the page nor
// push the account's own events off it.
const lookalikesShown = 5

// lookalikes is the account page's section of unmatched requests that
// named its login ID or its address, newest first, page (from 1) of
// lookalikesShown: "someone asked with this ID and another address" is
// often the answer to 「メールが届かない」. They stay apart from the
// timeline, which holds the account's own events only, since anyone can
// send them.
func (con *Console) lookalikes(ctx context.Context, t *vc.Text, acct *db.Account, page int) (vc.Lookalikes, error) {
	tags := con.resets.AddressTags(acct.Email)
	total, err := db.CountLookalikes(ctx, con.db, acct.LoginID, tags)
	if err != nil || total == 0 {
		return vc.Lookalikes{}, err
	}
	pages := (total + lookalikesShown - 1) / lookalikesShown
	page = min(max(page, 1), pages)
	found, err := db.LookalikePage(ctx, con.db, acct.LoginID, tags, (page-1)*lookalikesShown, lookalikesShown)
	if err != nil {
		return vc.Lookalikes{}, err
	}
	v := vc.Lookalikes{Total: total, Page: page, Pages: pages, PageSize: lookalikesShown}
	now := con.now()
	for _, l := range found {
		v.Rows = append(v.Rows, vc.LookalikeRow{At: t.Moment(l.At, now), What: l.What, Shared: string(l.Shared),
			SameAddress: l.Shared == db.SameAddress, TypedLoginID: l.LoginID, IP: l.IP})
	}
	page1 := accountPath(acct.ID) + "?lookalikes="
	if page < pages {
		v.NextHref = page1 + strconv.Itoa(page+1) + "#lookalikes"
	}
	if page > 1 {
		v.PrevHref = page1 + strconv.Itoa(page-1) + "#lookalikes"
	}
	return v, nil
}
