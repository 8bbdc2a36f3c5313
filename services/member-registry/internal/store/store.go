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
	bucketMembers  = []byte("members")  // member id -> Member
	bucketProducts = []byte("products") // merchant id "/" product id -> Product
	bucketRequests = []byte("requests") // "member/"|"product/" request id -> resource name
)

// Schema of member.db. Version 1 is the first.
var Schema = boltdb.Schema{
	Version: 1,
	Buckets: [][]byte{bucketMembers, bucketProducts, bucketRequests},
}

// Store implements registry.Repo on bbolt.
type Store struct{ DB *bolt.DB }

// Open opens (or creates) the file.
func Open(path string, o boltdb.Options) (*Store, error) {
	db, err := boltdb.Open(path, Schema, o)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.DB.Close() }

// View runs fn in a read transaction.
func (s *Store) View(fn func(registry.Tx) error) error {
	return s.DB.View(func(tx *bolt.Tx) error { return fn(txn{tx}) })
}

// Update runs fn in a write transaction; it commits only if fn returns nil.
func (s *Store) Update(fn func(registry.Tx) error) error {
	return s.DB.Update(func(tx *bolt.Tx) error { return fn(txn{tx}) })
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
