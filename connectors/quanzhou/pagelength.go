package quanzhou

import "fmt"

// A listing answer with more records than the pageSize asked is not the platform's page: a
// proxy that mangled it, or a platform that ignores pageSize. Walking on it would misplace the
// windows the no-missed-update guarantee rests on (listing.go), so the page is refused as an
// unreadable answer (transient: the next attempt may be served right).

// pageTooLong is the decoding error of such a page.
type pageTooLong struct {
	got, asked int
}

func (e *pageTooLong) Error() string {
	return fmt.Sprintf("page of %d records, more than the pageSize %d asked", e.got, e.asked)
}

// checkPageLength refuses a page of n records when at most most were asked (most 0: any).
func checkPageLength(n, most int) error {
	if most > 0 && n > most {
		return &pageTooLong{got: n, asked: most}
	}
	return nil
}
