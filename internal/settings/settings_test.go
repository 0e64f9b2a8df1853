package settings

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLocalRootsFromEnv(t *testing.T) {
	t.Setenv(EnvLocalRoots, "/srv/data: /srv/more::")
	assert.Equal(t, []string{"/srv/data", "/srv/more"}, LocalRootsFromEnv())
	t.Setenv(EnvLocalRoots, "")
	wd, _ := os.Getwd()
	assert.Equal(t, []string{filepath.Join(wd, "data")}, DefaultLocalRoots())
	assert.Equal(t, DefaultLocalRoots(), LocalRootsFromEnv())
}

func TestAzureFromEnv(t *testing.T) {
	t.Setenv(EnvConnectionString, "UseDevelopmentStorage=true")
	t.Setenv(EnvAccountURL, "")
	assert.Equal(t, "UseDevelopmentStorage=true", AzureFromEnv().ConnectionString)
}
