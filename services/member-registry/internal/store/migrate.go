package store

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	bolt "go.etcd.io/bbolt"
)

// noMigration is a step that only added buckets, which Open creates.
func noMigration(*bolt.Tx) error { return nil }

// fromJSON is the step from schema 3 to 4: it rewrites every record from
// the JSON of schemas 1 to 3 into its protobuf record, through the domain
// value, so that a migrated record is the bytes a write of today makes.
// Keys and the indexes stay as they are (page tokens stay valid), and so
// do the secrets. A record that does not decode, or holds a field the old
// code never wrote, stops the migration: the transaction is rolled back
// and the file stays as it was.
//
// It runs before Open creates the buckets of the current schema, so a
// file of schema 1 has no api_keys bucket yet.
func fromJSON(tx *bolt.Tx) error {
	steps := []struct {
		bucket  []byte
		convert func([]byte) ([]byte, error)
	}{
		{bucketMembers, func(raw []byte) ([]byte, error) { return fromJSONRecord(raw, (*jsonMember).domain, encodeMember) }},
		{bucketProducts, func(raw []byte) ([]byte, error) { return fromJSONRecord(raw, (*jsonProduct).domain, encodeProduct) }},
		{bucketAPIKeys, func(raw []byte) ([]byte, error) { return fromJSONRecord(raw, (*jsonAPIKey).domain, encodeAPIKey) }},
		// Schemas 1-3 kept the name itself.
		{bucketRequests, func(raw []byte) ([]byte, error) { return encodeRequest(string(raw)) }},
	}
	for _, s := range steps {
		if err := rewrite(tx, s.bucket, s.convert); err != nil {
			return err
		}
	}
	return nil
}

// rewrite replaces each value of bucket by convert(value)
// (boltdb.Rewrite); a value that does not convert is named as corrupt.
func rewrite(tx *bolt.Tx, bucket []byte, convert func([]byte) ([]byte, error)) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	return boltdb.Rewrite(b, func(k, v []byte) ([]byte, error) {
		nv, err := convert(v)
		if err != nil {
			return nil, corrupt(bucket, k, err)
		}
		return nv, nil
	})
}

// fromJSONRecord decodes one old record strictly and encodes its domain
// value as today's record.
func fromJSONRecord[J, T any](raw []byte, domain func(*J) *T, encode func(*T) ([]byte, error)) ([]byte, error) {
	old := new(J)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(old); err != nil {
		return nil, err
	}
	return encode(domain(old))
}

// The records of schemas 1 to 3: the JSON of the domain structs as they
// were then. They are frozen here, as the old files hold them.
type (
	jsonMember struct {
		ID          string       `json:"id"`
		Kind        int          `json:"kind"`
		DisplayName string       `json:"display_name"`
		District    string       `json:"district"`
		State       int          `json:"state"`
		StateReason string       `json:"state_reason,omitempty"`
		Agency      string       `json:"agency,omitempty"`
		Official    bool         `json:"official,omitempty"`
		Studios     []jsonStudio `json:"studios,omitempty"`
		Contact     jsonContact  `json:"contact"`
		CreateTime  time.Time    `json:"create_time"`
		UpdateTime  time.Time    `json:"update_time"`
		Revision    uint64       `json:"revision"`
	}
	jsonStudio struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	}
	jsonContact struct {
		Person string `json:"person,omitempty"`
		Phone  string `json:"phone,omitempty"`
		Email  string `json:"email,omitempty"`
	}
	jsonProduct struct {
		MerchantID     string    `json:"merchant_id"`
		ID             string    `json:"id"`
		DisplayName    string    `json:"display_name"`
		Category       string    `json:"category"`
		OriginDistrict string    `json:"origin_district"`
		ListPrice      jsonMoney `json:"list_price"`
		State          int       `json:"state"`
		CreateTime     time.Time `json:"create_time"`
		UpdateTime     time.Time `json:"update_time"`
		Revision       uint64    `json:"revision"`
	}
	jsonMoney struct {
		Currency   string `json:"currency"`
		MinorUnits int64  `json:"minor_units"`
	}
	jsonAPIKey struct {
		ID          string    `json:"id"`
		MemberID    string    `json:"member_id"`
		DisplayName string    `json:"display_name"`
		Role        int       `json:"role,omitempty"`
		Hash        []byte    `json:"hash"`
		CreateTime  time.Time `json:"create_time"`
		RevokeTime  time.Time `json:"revoke_time,omitzero"`
	}
)

func (j *jsonMember) domain() *registry.Member {
	m := &registry.Member{
		ID:          j.ID,
		Kind:        members.Kind(j.Kind),
		DisplayName: j.DisplayName,
		District:    j.District,
		State:       members.State(j.State),
		StateReason: j.StateReason,
		Agency:      j.Agency,
		Official:    j.Official,
		Contact:     registry.Contact(j.Contact),
		CreateTime:  j.CreateTime,
		UpdateTime:  j.UpdateTime,
		Revision:    j.Revision,
	}
	for _, s := range j.Studios {
		m.Studios = append(m.Studios, registry.Studio(s))
	}
	return m
}

func (j *jsonProduct) domain() *registry.Product {
	return &registry.Product{
		MerchantID:     j.MerchantID,
		ID:             j.ID,
		DisplayName:    j.DisplayName,
		Category:       j.Category,
		OriginDistrict: j.OriginDistrict,
		ListPrice:      registry.Money(j.ListPrice),
		State:          registry.ProductState(j.State),
		CreateTime:     j.CreateTime,
		UpdateTime:     j.UpdateTime,
		Revision:       j.Revision,
	}
}

func (j *jsonAPIKey) domain() *registry.APIKey {
	return &registry.APIKey{
		ID:          j.ID,
		MemberID:    j.MemberID,
		DisplayName: j.DisplayName,
		Role:        registry.Role(j.Role),
		Hash:        j.Hash,
		CreateTime:  j.CreateTime,
		RevokeTime:  j.RevokeTime,
	}
}
