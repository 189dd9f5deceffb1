// Package console holds the screens of the support console (SPEC §7) and
// their wording in Japanese and English.
package console

import "aikagi/views"

// Text is the console's wording in one language.
type Text struct {
	Lang                                    views.Lang
	TimeFormat, TimesInJapan                string // TimeFormat: Go's layout of a time in Japan time
	JustNow, MinutesAgo, HoursAgo           string // MinutesAgo, HoursAgo: %d
	Console, SkipToContent                  string
	LoginTitle, Email, Password, LogIn      string
	LoginFailed, LoginLocked, LoginLimited  string
	CodeTitle, CodeHelp, Code, Verify       string
	CodeFailed                              string
	EnrolTitle, EnrolHelp, EnrolSecret      string
	EnrolConfirm, EnrolQRAlt                string
	EnrolOpenApp, Copy, Copied              string
	RecoveryTitle, RecoveryHelp, Continue   string
	Download, RecoverySaved                 string
	Home, LogOut, SignedInAs                string
	SearchTitle, SearchLabel, SearchHelp    string
	Search, NoResults, LoginID, Store, Addr string
	AccountTitle, Locale, Status, Health    string
	StatusActive, StatusPaused, StatusOff   string // StatusPaused: followed by the time it ends
	LastDelivered, LastBounced              string
	LastComplained, Never                   string
	Timeline, When, Event, Detail, Staff    string
	IP, NoEvents                            string
	SendResetTitle, SendResetTo, TTL        string
	Reason, ReasonHelp, ReasonRequired      string
	SendReset, Cancel, ResetSent            string // ResetSent: followed by the expiry
	AccountDisabled                         string
	SameLoginID, SameAddress                string // unmatched requests that named the account
	LookalikesTitle, LookalikesHelp         string
	TypedLoginID                            string // %s: the login ID someone typed, quoted
	LookalikesMore, NextPage, PrevPage      string // LookalikesMore, NextPage: %d

	// Account actions.
	Actions, DeadMails, MailKind, MailTo, LastError, Requeue string
	LiftPauseTitle, LiftPauseHelp, LiftPause                 string
	PauseLifted, NotPaused                                   string
	RequeueTitle, RequeueHelp, RequeueOld, RequeueMail       string
	MailRequeued, MailNotDead, MailGone, LinkDead            string
	ChangeEmailTitle, ChangeEmailHelp, NewAddr, ChangeEmail  string
	EmailChanged, SameEmail                                  string
	DisableTitle, DisableHelp, Disable, AccountOff           string
	EnableTitle, EnableHelp, Enable, AccountOn               string
	AlreadyDisabled, NotDisabled                             string

	// Staff management.
	StaffTitle, StaffLink, StaffEmail, StaffRole           string
	RoleSupport, RoleAdmin, StaffFactor, StaffState        string
	StaffEnrolled, StaffNotEnrolled, StaffInvitedMark      string
	StaffEnabled, StaffDisabledMark, StaffPausedMark       string // StaffPausedMark: followed by the time it ends
	StaffCreated, StaffLastLogin, StaffActions, StaffYou   string
	InviteTitle, InviteHelp, InviteSubmit, NewRole         string
	InviteBadEmail, InviteTaken                            string
	InviteLinkTitle, InviteLinkHelp, InviteLinkLabel       string
	InviteLinkExpires                                      string // followed by the time
	ChangeRoleTitle, MemberDisableTitle, MemberEnableTitle string
	ResetFactorTitle, MemberLiftPauseTitle, ReinviteTitle  string
	ChangeRoleHelp, MemberDisableHelp, MemberEnableHelp    string
	ResetFactorHelp, MemberLiftPauseHelp, ReinviteHelp     string
	Member, Confirm, RefusedSelf, RefusedLastAdmin         string
	RefusedNotApplied                                      string
	DoneRole, DoneDisable, DoneEnable                      string
	DoneResetFactor, DoneLiftPause                         string
	SetPasswordTitle, SetPasswordHelp, NewPassword         string
	ConfirmPassword, SetPassword                           string
	InviteUnusableTitle, InviteUnusable                    string

	// Overview.
	OverviewTitle                                string
	Last24h, Last14d                             string // the periods' names
	RequestsTitle, Requests                      string
	Matched, Unmatched, Limited                  string
	MailsTitle, Mails                            string
	Sent, Delivered, Bounced, Dead               string
	ResetsTitle, Resets, ResetsSeries            string // Resets: the noun of the total line
	HourlyDesc, DailyDesc, ChartTable, Hour, Day string
	HourAxis, HourRow, DayAxis, DayRow, ItemTime string // time layouts (Go's), in Japan time
	TotalFormat, PartFormat, PartSep             string // TotalFormat: period, noun, total, parts
	TotalOnlyFormat                              string // period, noun, total
	MedianTitle, NoResets                        string
	BacklogTitle, BacklogIntake, BacklogOutbox   string
	BacklogCount, BacklogOldest                  string // BacklogOldest: count, then the oldest's age
	AttentionTitle, AttentionNone, NoAccount     string
	AttnBounced, AttnDead, AttnReported          string
	AttnExpired, AttnExpiredHelp                 string
	AttnRepeated, RepeatedCount                  string // AttnRepeated: the threshold; RepeatedCount: the requests
	EventBounced, EventFailed, EventComplained   string
	EventReported, Median                        string

	// Error pages.
	NotFoundTitle, NotFound       string
	ForbiddenTitle, Forbidden     string // the member's role does not allow it
	CrossSiteTitle, CrossSite     string
	BadChoiceTitle, BadChoice     string // a value the form did not offer
	ServerErrorTitle, ServerError string
	BackToSearch                  string

	// A timeline entry's detail.
	ValidUntil, MailToAddr, DetailSep string // MailToAddr: the mail's name, its address
	FailedRun, FromAddresses          string // FailedRun: count, first time; FromAddresses: count
	OlderEvents, NewerEvents          string

	// The account page's summary (Summary): the latest request's chain.
	SummaryTitle, SummaryNone, ChainSep          string
	ChainDay, ChainClock                         string // time layouts (Go's), in Japan time
	ReqMatched, ReqUnmatchedID, ReqUnmatchedAddr string
	ReqLimited, ReqDisabled, ReqByStaff          string // ReqByStaff: %s, the member
	ChainQueued, ChainSent, ChainDead            string
	ChainExpired, ChainDelivered, ChainDelayed   string
	ChainBounced, ChainAwaiting, ChainComplained string // ChainBounced: %s, the reason
	ChainUsed, RawBounce                         string
	DeliveryLabel, DeliveryNone, DeliveryResult  string // DeliveryResult: the result, its time
	NextLabel                                    string
	AdviceNone, AdviceUnmatched, AdviceLimited   string
	AdviceDisabled, AdviceBounced, AdviceArrived string
	AdviceWaiting, AdviceFailed, AdvicePaused    string
	AdviceUsed                                   string
	ChangeAddress                                string

	// Why a mail did not arrive, and what the merchant can do.
	CauseNoUser, CauseFull, CauseRejected, CauseCarrier string
	CauseNoDomain, CauseSuppressed, CauseTemporary      string
	CauseComplained, CauseOther                         string
	FixCarrier, FixAddress, FixFull                     string

	// The send-reset confirmation's warnings.
	LastResult, BouncedWarning, ConfirmBounced, ConfirmRequired string
	RecentLink, RecentRequest                                   string // the time, how long ago; RecentLink: then the member
}

// T is the wording of lang.
func T(lang views.Lang) *Text {
	if lang == views.En {
		return &en
	}
	return &ja
}
