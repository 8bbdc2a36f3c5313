package store

import "github.com/cqlive/alliance/services/kit/boltdb"

// Every bucket of member.db, in one place. Keys are ids in the id
// alphabet (kit/ids), which sort as the resource names do; values are the
// records of alliance.member.store.v1 (codec.go), or nothing in an index.
var (
	bucketMembers  = []byte("members")         // member id -> Member record
	bucketProducts = []byte("products")        // merchant id "/" product id -> Product record
	bucketRequests = []byte("requests")        // "member/"|"product/" request id -> Request record (the name it made)
	bucketAPIKeys  = []byte("api_keys")        // key id -> ApiKey record (the hash only, never the key)
	bucketKeysBy   = []byte("member_api_keys") // member id "/" key id -> nil: a member's keys
	bucketStaff    = []byte("staff_api_keys")  // key id -> nil: the staff keys
)

// records are the buckets whose values are records; the indexes hold none.
var records = [][]byte{bucketMembers, bucketProducts, bucketRequests, bucketAPIKeys}

// Schema of member.db.
//
//	1  members, products, request ids (JSON)
//	2  + API keys (new buckets only)
//	3  + staff keys (new buckets only)
//	4  every record protobuf (alliance.member.store.v1) instead of JSON
var Schema = boltdb.Schema{
	Version: 4,
	Buckets: [][]byte{bucketMembers, bucketProducts, bucketRequests, bucketAPIKeys, bucketKeysBy, bucketStaff},
	Migrations: []boltdb.Migration{
		{From: 1, Run: noMigration}, // Open creates the new buckets
		{From: 2, Run: noMigration},
		{From: 3, Run: fromJSON},
	},
}
