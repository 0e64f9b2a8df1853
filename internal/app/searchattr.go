package app

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// SearchAttributes are the custom search attributes the pipeline sets.
var SearchAttributes = map[string]enums.IndexedValueType{
	"Experiment":      enums.INDEXED_VALUE_TYPE_KEYWORD,
	"BestModel":       enums.INDEXED_VALUE_TYPE_KEYWORD,
	"Accuracy":        enums.INDEXED_VALUE_TYPE_DOUBLE,
	"ModelRegistered": enums.INDEXED_VALUE_TYPE_BOOL,
	"ModelVersion":    enums.INDEXED_VALUE_TYPE_INT,
}

// EnsureSearchAttributes registers the missing search attributes on the
// namespace; those already there are left alone, so it is idempotent.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of %s: %w", namespace, err)
	}
	missing := map[string]enums.IndexedValueType{}
	for _, name := range slices.Sorted(maps.Keys(SearchAttributes)) {
		typ := SearchAttributes[name]
		if got, ok := have.GetCustomAttributes()[name]; ok {
			if got != typ {
				return fmt.Errorf("search attribute %s is %s on %s, the pipeline needs %s", name, got, namespace, typ)
			}
			continue
		}
		missing[name] = typ
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes to %s: %w", namespace, err)
	}
	return nil
}
