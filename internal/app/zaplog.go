package app

import (
	"fmt"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// ZapLogger puts a zap logger behind the Temporal SDK's logger interface.
type ZapLogger struct{ z *zap.Logger }

var _ log.WithLogger = ZapLogger{}

// NewZapLogger wraps z; the SDK's frames are skipped so callers show.
func NewZapLogger(z *zap.Logger) ZapLogger { return ZapLogger{z.WithOptions(zap.AddCallerSkip(1))} }

func (l ZapLogger) fields(keyvals []any) []zap.Field {
	var fs []zap.Field
	for i := 0; i < len(keyvals); i += 2 {
		key := fmt.Sprint(keyvals[i])
		if i+1 == len(keyvals) {
			fs = append(fs, zap.Any("EXTRA_VALUE", keyvals[i]))
			break
		}
		fs = append(fs, zap.Any(key, keyvals[i+1]))
	}
	return fs
}

// Debug logs at debug level.
func (l ZapLogger) Debug(msg string, keyvals ...any) { l.z.Debug(msg, l.fields(keyvals)...) }

// Info logs at info level.
func (l ZapLogger) Info(msg string, keyvals ...any) { l.z.Info(msg, l.fields(keyvals)...) }

// Warn logs at warn level.
func (l ZapLogger) Warn(msg string, keyvals ...any) { l.z.Warn(msg, l.fields(keyvals)...) }

// Error logs at error level.
func (l ZapLogger) Error(msg string, keyvals ...any) { l.z.Error(msg, l.fields(keyvals)...) }

// With returns a logger with the key-value pairs added to every entry.
func (l ZapLogger) With(keyvals ...any) log.Logger { return ZapLogger{l.z.With(l.fields(keyvals)...)} }
