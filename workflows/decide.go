package workflows

import (
	"fmt"

	"github.com/temporal-ml/runctx-pipeline/activities"
)

// shouldRegister is the pipeline's one decision: register when the new
// accuracy beats both the threshold and the registered champion. The
// reason explains a skip.
func shouldRegister(accuracy, threshold float64, champ activities.Champion) (bool, string) {
	if accuracy <= threshold {
		return false, fmt.Sprintf("accuracy %.4f is not above the threshold %.4f", accuracy, threshold)
	}
	if champ.Exists && accuracy <= champ.Accuracy {
		return false, fmt.Sprintf("accuracy %.4f is not above champion v%d (%.4f)", accuracy, champ.Version, champ.Accuracy)
	}
	return true, ""
}
