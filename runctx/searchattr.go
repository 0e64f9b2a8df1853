package runctx

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// errSearchAttributes is wrapped by the error of a worker that cannot
// start because its pipelines' search attributes are missing or of another
// type on the namespace.
var errSearchAttributes = errors.New("runctx: search attributes")

// ExperimentSearchAttributes returns the search attributes a starter sets
// on a pipeline it starts (client.StartWorkflowOptions.TypedSearchAttributes).
func ExperimentSearchAttributes(experiment string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(layout.ExperimentAttribute).ValueSet(experiment))
}

// attributeSet is search attribute names and their types.
type attributeSet map[string]enums.IndexedValueType

func (s attributeSet) add(attrs []TagAttribute) {
	s[layout.ExperimentAttribute] = enums.INDEXED_VALUE_TYPE_KEYWORD
	for _, a := range attrs {
		s[a.Attribute] = a.typ
	}
}

func (s attributeSet) String() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s)) {
		fmt.Fprintf(&b, "%s:%s,", k, s[k])
	}
	return b.String()
}

// ensureSearchAttributes adds the attributes of want that co's namespace
// lacks. Those already there are left alone, so it is idempotent. Where
// the namespace cannot be changed, the error names each missing attribute
// and the command that adds it.
func ensureSearchAttributes(ctx context.Context, co client.Options, want attributeSet) error {
	co.Plugins, co.Interceptors = nil, nil
	c, err := client.DialContext(ctx, co)
	if err != nil {
		return fmt.Errorf("%w: connect to %s: %w", errSearchAttributes, co.HostPort, err)
	}
	defer c.Close()
	ns := co.Namespace
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("%w: list those of namespace %s: %w", errSearchAttributes, ns, err)
	}
	missing := attributeSet{}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		typ := want[name]
		got, ok := have.GetCustomAttributes()[name]
		if !ok {
			missing[name] = typ
			continue
		}
		if got != typ {
			return fmt.Errorf("%w: %s is %s on namespace %s, the pipelines need %s", errSearchAttributes, name, got, ns, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: ns, SearchAttributes: missing})
	var denied *serviceerror.PermissionDenied
	var unimplemented *serviceerror.Unimplemented
	if errors.As(err, &denied) || errors.As(err, &unimplemented) {
		return missingError(ns, missing, err)
	}
	if err != nil {
		return fmt.Errorf("%w: add them to namespace %s: %w", errSearchAttributes, ns, err)
	}
	return nil
}

// missingError names each missing attribute, its type and the command that
// adds it.
func missingError(ns string, missing attributeSet, cause error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "namespace %s lacks search attributes the pipelines declare, and this client may not add them (%v); an admin adds them with:", ns, cause)
	for _, name := range slices.Sorted(maps.Keys(missing)) {
		typ := missing[name].String() // Keyword, Double, Int, Bool…: the CLI's spelling
		fmt.Fprintf(&b, "\n  %s (%s): temporal operator search-attribute create --namespace %s --name %s --type %s", name, typ, ns, name, typ)
	}
	return fmt.Errorf("%w: %s", errSearchAttributes, b.String())
}
