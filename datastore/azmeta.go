package datastore

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

var metaKeyRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// checkMetadata enforces what both backends can store: keys of lower-case
// letters, digits and underscores (Azure keys are C# identifiers and come
// back case-folded), values of printable ASCII (they travel as HTTP headers).
func checkMetadata(md map[string]string) error {
	for k, v := range md {
		if !metaKeyRE.MatchString(k) {
			return fmt.Errorf("metadata key %q: want lower-case letters, digits and underscores", k)
		}
		for _, c := range v {
			if c < 0x20 || c > 0x7e {
				return fmt.Errorf("metadata %q: value must be printable ASCII", k)
			}
		}
	}
	return nil
}

func toAzureMetadata(md map[string]string) map[string]*string {
	if len(md) == 0 {
		return nil
	}
	out := make(map[string]*string, len(md))
	for k, v := range md {
		out[k] = &v
	}
	return out
}

// metadataOf lower-cases keys: GET/HEAD responses carry them as canonical
// HTTP header names ("Run_id"), List as stored.
func metadataOf(md map[string]*string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		if v != nil {
			out[strings.ToLower(k)] = *v
		}
	}
	return out
}

func etagOf(e *azcore.ETag) ETag {
	if e == nil {
		return ""
	}
	return ETag(*e)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
