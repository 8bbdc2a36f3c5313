// Package store keeps the member registry in one bbolt file. Values are
// JSON-encoded domain records; keys are ids, which sort like resource names.
package store

import (
	"bytes"
	"encoding/json"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	bolt "go.etcd.io/bbolt"
)

// Every bucket of the file, in one place.
var (
	bucketMembers  = []byte("members")         // member id -> Member
	bucketProducts = []byte("products")        // merchant id "/" product id -> Product
	bucketRequests = []byte("requests")        // "member/"|"product/" request id -> resource name
	bucketAPIKeys  = []byte("api_keys")        // key id -> APIKey (hash only, never the key)
	bucketKeysBy   = []byte("member_api_keys") // member id "/" key id -> nil, to list a member's keys
	bucketStaff    = []byte("staff_api_keys")  // key id -> nil, to list the staff keys
)

// Schema of member.db. Version 1 is the first.
var Schema = boltdb.Schema{
	Version: 3,
	Buckets: [][]byte{bucketMembers, bucketProducts, bucketRequests, bucketAPIKeys, bucketKeysBy, bucketStaff},
	// Version 2 added API keys and version 3 staff keys: new buckets only,
	// which Open creates.
	Migrations: []boltdb.Migration{
		{From: 1, Run: func(*bolt.Tx) error { return nil }},
		{From: 2, Run: func(*bolt.Tx) error { return nil }},
	},
}

// Store implements registry.Repo on bbolt.
type Store struct {
	*boltdb.Store[registry.Tx]
}

// Open opens (or creates) the file.
func Open(path string, o boltdb.Options) (*Store, error) {
	st, err := boltdb.OpenStore(path, Schema, o, func(tx *bolt.Tx) registry.Tx { return txn{tx} })
	if err != nil {
		return nil, err
	}
	return &Store{st}, nil
}

type txn struct{ tx *bolt.Tx }

func get[T any](b *bolt.Bucket, key string) (*T, error) {
	raw := b.Get([]byte(key))
	if raw == nil {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	return v, nil
}

func put(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// scan calls fn for each record after the key `after` whose key has prefix.
func scan[T any](b *bolt.Bucket, prefix, after string, fn func(*T) bool) error {
	c := b.Cursor()
	var k, v []byte
	if after != "" {
		k, v = c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
	} else {
		k, v = c.Seek([]byte(prefix))
	}
	for ; k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
		rec := new(T)
		if err := json.Unmarshal(v, rec); err != nil {
			return err
		}
		if !fn(rec) {
			return nil
		}
	}
	return nil
}

func (t txn) Member(id string) (*registry.Member, error) {
	return get[registry.Member](t.tx.Bucket(bucketMembers), id)
}

func (t txn) PutMember(m *registry.Member) error {
	return put(t.tx.Bucket(bucketMembers), m.ID, m)
}

func (t txn) Members(after string, fn func(*registry.Member) bool) error {
	return scan(t.tx.Bucket(bucketMembers), "", after, fn)
}

func (t txn) Product(merchantID, productID string) (*registry.Product, error) {
	return get[registry.Product](t.tx.Bucket(bucketProducts), registry.ProductKey(merchantID, productID))
}

func (t txn) PutProduct(p *registry.Product) error {
	return put(t.tx.Bucket(bucketProducts), registry.ProductKey(p.MerchantID, p.ID), p)
}

func (t txn) Products(merchantID, after string, fn func(*registry.Product) bool) error {
	prefix := ""
	if merchantID != "" {
		prefix = merchantID + "/"
	}
	return scan(t.tx.Bucket(bucketProducts), prefix, after, fn)
}

func (t txn) Request(key string) (string, error) {
	return string(t.tx.Bucket(bucketRequests).Get([]byte(key))), nil
}

func (t txn) PutRequest(key, name string) error {
	return t.tx.Bucket(bucketRequests).Put([]byte(key), []byte(name))
}

func (t txn) APIKey(id string) (*registry.APIKey, error) {
	return get[registry.APIKey](t.tx.Bucket(bucketAPIKeys), id)
}

// keyIndex is where a key is listed: under its member, or among the staff keys.
func (t txn) keyIndex(memberID string) (*bolt.Bucket, []byte) {
	if memberID == "" {
		return t.tx.Bucket(bucketStaff), nil
	}
	return t.tx.Bucket(bucketKeysBy), []byte(memberID + "/")
}

func (t txn) PutAPIKey(k *registry.APIKey) error {
	b, prefix := t.keyIndex(k.MemberID)
	if err := b.Put(append(prefix, k.ID...), nil); err != nil {
		return err
	}
	return put(t.tx.Bucket(bucketAPIKeys), k.ID, k)
}

func (t txn) APIKeys(memberID, after string, fn func(*registry.APIKey) bool) error {
	b, prefix := t.keyIndex(memberID)
	c := b.Cursor()
	k, _ := c.Seek(prefix)
	if after != "" {
		from := append(append([]byte(nil), prefix...), after...)
		k, _ = c.Seek(from)
		if k != nil && bytes.Equal(k, from) {
			k, _ = c.Next()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		rec, err := t.APIKey(string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if rec != nil && !fn(rec) {
			return nil
		}
	}
	return nil
}
