package auth

import "google.golang.org/protobuf/reflect/protoreflect"

// Methods lists the full method names of a service descriptor, e.g.
// "/alliance.member.v1.MemberRegistry/GetMember".
func Methods(sd protoreflect.ServiceDescriptor) []string {
	var out []string
	ms := sd.Methods()
	for i := 0; i < ms.Len(); i++ {
		out = append(out, "/"+string(sd.FullName())+"/"+string(ms.Get(i).Name()))
	}
	return out
}

// Uncovered returns the methods of sd that p has no complete rule for:
// none, or one that does not say whether the method reads or writes. Tests
// call it so that an RPC added without a rule fails the build's tests.
func (p Policy) Uncovered(sd protoreflect.ServiceDescriptor) []string {
	var out []string
	for _, m := range Methods(sd) {
		if !p.RuleFor(m).annotated() {
			out = append(out, m)
		}
	}
	return out
}

// Writes lists the methods of sd that p annotates as writes: what a
// read-only key must be refused.
func (p Policy) Writes(sd protoreflect.ServiceDescriptor) []string {
	var out []string
	for _, m := range Methods(sd) {
		if p.RuleFor(m).Writes() {
			out = append(out, m)
		}
	}
	return out
}
