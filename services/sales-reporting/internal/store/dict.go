package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
)

// dict maps session and product names to the dictionary ids that sales and
// cells hold instead of the names, and back. It is read from the records at
// open and kept in memory (a year's 184,000 sessions are some megabytes);
// a write transaction's new names join it when the transaction commits.
type dict struct {
	mu         sync.RWMutex
	sessionIDs map[string]uint32
	sessions   []string // by id; 0 is no session
	productIDs map[string]uint32
	products   []string
}

// dictView resolves the ids of sales and cells to names.
type dictView interface {
	sessionName(id uint32) (string, bool)
	productName(id uint32) (string, bool)
}

// recordName is the name (field 1) of a stored SessionRecord or
// ProductRecord, as proto.Unmarshal would read it, without decoding the
// rest: start-up reads every record's name, and decoding whole session
// records (their products and merchants) was most of opening the
// replay's file once the engine came from its image. The other fields are
// decoded, and checked, where a record is used.
// TestRecordNameAgreesWithProto holds it to proto's answer.
func recordName(b []byte) (string, error) {
	var name []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", protowire.ParseError(n)
			}
			name, b = v, b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		b = b[n:]
	}
	if !utf8.Valid(name) {
		return "", errors.New("the name is not valid UTF-8")
	}
	return string(name), nil
}

func loadDict(btx *bolt.Tx) (*dict, error) {
	d := &dict{sessionIDs: map[string]uint32{}, sessions: []string{""}, productIDs: map[string]uint32{}, products: []string{""}}
	for _, side := range []struct {
		bucket []byte
		ids    map[string]uint32
		names  *[]string
		name   func([]byte) (string, error)
	}{
		{bucketSessions, d.sessionIDs, &d.sessions, recordName},
		{bucketProducts, d.productIDs, &d.products, recordName},
	} {
		b := btx.Bucket(side.bucket)
		if b == nil {
			continue
		}
		*side.names = make([]string, b.Sequence()+1)
		if err := b.ForEach(func(k, v []byte) error {
			if len(k) != 4 {
				return fmt.Errorf("%s: key %x: %w", side.bucket, k, errCorrupt)
			}
			id := binary.BigEndian.Uint32(k)
			name, err := side.name(v)
			if err != nil {
				return fmt.Errorf("%s %d: %w", side.bucket, id, err)
			}
			if uint64(id) >= uint64(len(*side.names)) {
				return fmt.Errorf("%s: id %d past the sequence %d: %w", side.bucket, id, b.Sequence(), errCorrupt)
			}
			(*side.names)[id] = name
			side.ids[name] = id
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *dict) sessionName(id uint32) (string, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return nameAt(d.sessions, id)
}

func (d *dict) productName(id uint32) (string, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return nameAt(d.products, id)
}

// nameAt is the name of id in names (by id): id 0, an id past the end and
// an id whose record was not read name nothing.
func nameAt(names []string, id uint32) (string, bool) {
	if uint64(id) >= uint64(len(names)) || id == 0 || names[id] == "" {
		return "", false
	}
	return names[id], true
}

func (d *dict) sessionID(name string) (uint32, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	id, ok := d.sessionIDs[name]
	return id, ok
}

func (d *dict) productID(name string) (uint32, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	id, ok := d.productIDs[name]
	return id, ok
}

// pendingNames are the names a write transaction gave ids to.
type pendingNames struct {
	sessions, products map[string]uint32
}

func (p *pendingNames) empty() bool { return len(p.sessions) == 0 && len(p.products) == 0 }

// commit adds the names of a committed transaction.
func (d *dict) commit(p *pendingNames) {
	if p.empty() {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	add := func(ids map[string]uint32, names *[]string, news map[string]uint32) {
		for name, id := range news {
			for uint64(len(*names)) <= uint64(id) {
				*names = append(*names, "")
			}
			(*names)[id] = name
			ids[name] = id
		}
	}
	add(d.sessionIDs, &d.sessions, p.sessions)
	add(d.productIDs, &d.products, p.products)
}
