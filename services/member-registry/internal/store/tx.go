package store

import (
	"bytes"
	"fmt"

	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	bolt "go.etcd.io/bbolt"
)

// txn is the registry's Tx over one bbolt transaction.
type txn struct{ tx *bolt.Tx }

var _ registry.Tx = txn{}

// get decodes the record at key, or returns nil when there is none.
func get[T any](tx *bolt.Tx, bucket []byte, key string, decode func([]byte) (*T, error)) (*T, error) {
	raw := tx.Bucket(bucket).Get([]byte(key))
	if raw == nil {
		return nil, nil
	}
	v, err := decode(raw)
	if err != nil {
		return nil, corrupt(bucket, []byte(key), err)
	}
	return v, nil
}

func put[T any](tx *bolt.Tx, bucket []byte, key string, v *T, encode func(*T) ([]byte, error)) error {
	raw, err := encode(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), raw)
}

// corrupt names the record that does not decode.
func corrupt(bucket, key []byte, err error) error {
	return fmt.Errorf("bucket %s: the record at %q does not decode: %w", bucket, key, err)
}

// scan calls fn for each record after the key `after` whose key has
// prefix, in key order, until fn returns false.
func scan[T any](tx *bolt.Tx, bucket []byte, prefix, after string, decode func([]byte) (*T, error), fn func(*T) bool) error {
	c := tx.Bucket(bucket).Cursor()
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
		rec, err := decode(v)
		if err != nil {
			return corrupt(bucket, k, err)
		}
		if !fn(rec) {
			return nil
		}
	}
	return nil
}

func (t txn) Member(id string) (*registry.Member, error) {
	return get(t.tx, bucketMembers, id, decodeMember)
}

func (t txn) PutMember(m *registry.Member) error {
	return put(t.tx, bucketMembers, m.ID, m, encodeMember)
}

func (t txn) Members(after string, fn func(*registry.Member) bool) error {
	return scan(t.tx, bucketMembers, "", after, decodeMember, fn)
}

func (t txn) Product(merchantID, productID string) (*registry.Product, error) {
	return get(t.tx, bucketProducts, registry.ProductKey(merchantID, productID), decodeProduct)
}

func (t txn) PutProduct(p *registry.Product) error {
	return put(t.tx, bucketProducts, registry.ProductKey(p.MerchantID, p.ID), p, encodeProduct)
}

func (t txn) Products(merchantID, after string, fn func(*registry.Product) bool) error {
	prefix := ""
	if merchantID != "" {
		prefix = merchantID + "/"
	}
	return scan(t.tx, bucketProducts, prefix, after, decodeProduct, fn)
}

func (t txn) Request(key string) (string, error) {
	raw := t.tx.Bucket(bucketRequests).Get([]byte(key))
	if raw == nil {
		return "", nil
	}
	name, err := decodeRequest(raw)
	if err != nil {
		return "", corrupt(bucketRequests, []byte(key), err)
	}
	return name, nil
}

func (t txn) PutRequest(key, name string) error {
	raw, err := encodeRequest(name)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bucketRequests).Put([]byte(key), raw)
}

func (t txn) APIKey(id string) (*registry.APIKey, error) {
	return get(t.tx, bucketAPIKeys, id, decodeAPIKey)
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
	return put(t.tx, bucketAPIKeys, k.ID, k, encodeAPIKey)
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
