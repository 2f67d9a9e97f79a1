package rdb

import (
	"strings"
	"testing"
)

// hashTag is the part of key Redis Cluster hashes: the text inside the first {…}, if non-empty.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// Every key a script touches together hashes to one Cluster slot: the queue's keys share the
// tag {retry}, a job's lock and slot markers the tag {<job>}.
func TestKeysThatChangeTogetherShareOneHashTag(t *testing.T) {
	k := (&Conn{Prefix: "streetsync:"}).Keys()
	for tag, keys := range map[string][]string{
		"retry":       {k.Item("id1"), k.Errs("id1"), k.Queue("a.push"), k.Active("a.push"), k.Dead("a.push"), k.Kinds(), k.Fence()},
		"enterprises": {k.Lock("enterprises"), k.Slot("enterprises", "1772386200"), k.Slot("enterprises", "catchup:1772386200")},
	} {
		for _, key := range keys {
			if !strings.HasPrefix(key, "streetsync:") || hashTag(key) != tag {
				t.Errorf("key %q hashes by %q, want the prefix and the tag {%s}", key, hashTag(key), tag)
			}
		}
	}
}

func TestAPrefixWithBracesIsRefused(t *testing.T) {
	if err := (&Conn{Prefix: "x{y}:"}).CheckPrefix(); err == nil {
		t.Error("a prefix with braces was accepted")
	}
	if err := (&Conn{Prefix: "streetsync:"}).CheckPrefix(); err != nil {
		t.Errorf("the default prefix was refused: %v", err)
	}
}
