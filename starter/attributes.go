package main

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
)

// attributeType is a pipeline file's attribute type as Temporal names it.
var attributeType = map[string]enums.IndexedValueType{
	"Keyword": enums.INDEXED_VALUE_TYPE_KEYWORD,
	"Double":  enums.INDEXED_VALUE_TYPE_DOUBLE,
	"Int":     enums.INDEXED_VALUE_TYPE_INT,
	"Bool":    enums.INDEXED_VALUE_TYPE_BOOL,
}

// ensureAttributes creates the search attributes a pipeline file
// declares on the namespace, where they are missing; one of another type
// is a usage error, since the file asks for what the namespace refuses.
func ensureAttributes(ctx context.Context, tc client.Client, namespace string, attrs []pipelinefile.Attribute) error {
	if len(attrs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	have, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("search attributes of %s: %w", namespace, err)
	}
	missing := map[string]enums.IndexedValueType{}
	for _, a := range attrs {
		want := attributeType[a.Type]
		got, ok := have.GetCustomAttributes()[a.Name]
		if !ok {
			got, ok = have.GetSystemAttributes()[a.Name]
		}
		switch {
		case !ok:
			missing[a.Name] = want
		case got != want:
			return usagef("attribute %s: the namespace %s has %s as %s, not %s", a.Tag, namespace, a.Name, got, want)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing}); err != nil {
		return fmt.Errorf("create search attributes %v on %s: %w", missing, namespace, err)
	}
	return nil
}
