// Package members is the suite's vocabulary of members, which the rules of
// every service speak: the kinds of member and their states. The numbers
// follow alliance.member.v1's MemberKind and MemberState, so an adapter
// converts either by number.
package members

// Kind of a member; fixed when the member is created.
type Kind int

const (
	KindUnspecified Kind = iota
	Host
	Base
	Agency
	Merchant
	DistrictOffice
)

var kindNames = [...]string{"UNSPECIFIED", "HOST", "BASE", "AGENCY", "MERCHANT", "DISTRICT_OFFICE"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "UNKNOWN"
	}
	return kindNames[k]
}

// State of a member. WITHDRAWN is terminal.
type State int

const (
	StateUnspecified State = iota
	Active
	Suspended
	Withdrawn
)

var stateNames = [...]string{"UNSPECIFIED", "ACTIVE", "SUSPENDED", "WITHDRAWN"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "UNKNOWN"
	}
	return stateNames[s]
}
