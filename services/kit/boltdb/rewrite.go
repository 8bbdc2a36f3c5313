package boltdb

import bolt "go.etcd.io/bbolt"

// Rewrite replaces each value of b by convert(key, value), as a migration
// that changes the encoding of a bucket's records does. The new values are
// collected first (a bucket must not change under its cursor), then
// written in key order, where bbolt's writes are appends. The first error
// of convert stops it as convert returned it; the caller's transaction
// then rolls back and the file stays as it was.
func Rewrite(b *bolt.Bucket, convert func(key, value []byte) ([]byte, error)) error {
	type entry struct{ key, val []byte }
	var out []entry
	err := b.ForEach(func(k, v []byte) error {
		nv, err := convert(k, v)
		if err != nil {
			return err
		}
		out = append(out, entry{append([]byte(nil), k...), nv})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range out {
		if err := b.Put(e.key, e.val); err != nil {
			return err
		}
	}
	return nil
}
