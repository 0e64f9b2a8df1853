package runctx

import (
	"fmt"
	"strconv"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// TagAttribute maps a parent tag to a typed search attribute, so that the
// Web UI and `temporal workflow list --query` can filter on it. Declare a
// pipeline's mappings once with Declare; the plugin creates the attributes
// on the namespace when a worker starts.
type TagAttribute struct {
	Tag       string
	Attribute string
	typ       enums.IndexedValueType
	set       func(string) (temporal.SearchAttributeUpdate, error)
	unset     temporal.SearchAttributeUpdate
}

// Attribute maps the parent tag tag to the search attribute attribute,
// whose type T gives: float64 a Double, int64 an Int, bool a Bool, string
// a Keyword attribute. A tag whose value is not a T where a number or a
// boolean is declared is refused by the pipeline (ErrInvalid).
//
//	runctx.Declare(TrainingPipeline, runctx.Attribute[float64]("accuracy", "Accuracy"), runctx.Attribute[string]("best_model", "BestModel"))
func Attribute[T float64 | int64 | bool | string](tag, attribute string) TagAttribute {
	var zero T
	switch any(zero).(type) {
	case float64:
		return floatAttribute(tag, attribute)
	case int64:
		return intAttribute(tag, attribute)
	case bool:
		return boolAttribute(tag, attribute)
	default:
		return keywordAttribute(tag, attribute)
	}
}

// keywordAttribute maps tag to a Keyword search attribute.
func keywordAttribute(tag, attribute string) TagAttribute {
	k := temporal.NewSearchAttributeKeyKeyword(attribute)
	return TagAttribute{Tag: tag, Attribute: attribute, typ: enums.INDEXED_VALUE_TYPE_KEYWORD, unset: k.ValueUnset(),
		set: func(v string) (temporal.SearchAttributeUpdate, error) { return k.ValueSet(v), nil }}
}

// floatAttribute maps tag to a Double search attribute.
func floatAttribute(tag, attribute string) TagAttribute {
	k := temporal.NewSearchAttributeKeyFloat64(attribute)
	return TagAttribute{Tag: tag, Attribute: attribute, typ: enums.INDEXED_VALUE_TYPE_DOUBLE, unset: k.ValueUnset(),
		set: func(v string) (temporal.SearchAttributeUpdate, error) {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: tag %q = %q is not a number (search attribute %s is Double)", ErrInvalid, tag, v, attribute)
			}
			return k.ValueSet(f), nil
		}}
}

// intAttribute maps tag to an Int search attribute.
func intAttribute(tag, attribute string) TagAttribute {
	k := temporal.NewSearchAttributeKeyInt64(attribute)
	return TagAttribute{Tag: tag, Attribute: attribute, typ: enums.INDEXED_VALUE_TYPE_INT, unset: k.ValueUnset(),
		set: func(v string) (temporal.SearchAttributeUpdate, error) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: tag %q = %q is not an integer (search attribute %s is Int)", ErrInvalid, tag, v, attribute)
			}
			return k.ValueSet(n), nil
		}}
}

// boolAttribute maps tag to a Bool search attribute.
func boolAttribute(tag, attribute string) TagAttribute {
	k := temporal.NewSearchAttributeKeyBool(attribute)
	return TagAttribute{Tag: tag, Attribute: attribute, typ: enums.INDEXED_VALUE_TYPE_BOOL, unset: k.ValueUnset(),
		set: func(v string) (temporal.SearchAttributeUpdate, error) {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%w: tag %q = %q is not a boolean (search attribute %s is Bool)", ErrInvalid, tag, v, attribute)
			}
			return k.ValueSet(b), nil
		}}
}
