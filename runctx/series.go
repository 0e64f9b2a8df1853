package runctx

// sample is one stored value of a series; its step is its index.
type sample struct {
	value float64
	time  int64
}

// series is a metric's values in fixed-size chunks: appending never copies
// what is there, and allocates once per chunk.
type series struct {
	chunks [][]sample
	n      int
}

const chunkSize = 2048

func (s *series) add(v float64, now int64) {
	if s.n%chunkSize == 0 {
		size := chunkSize
		if s.n == 0 {
			size = 4 // most metrics hold one value; grow into a full chunk later
		}
		s.chunks = append(s.chunks, make([]sample, 0, size))
	}
	last := &s.chunks[len(s.chunks)-1]
	if len(*last) == cap(*last) { // the small first chunk is full
		grown := make([]sample, len(*last), chunkSize)
		copy(grown, *last)
		*last = grown
	}
	*last = append(*last, sample{value: v, time: now})
	s.n++
}

// points returns the series as Azure ML's (step, value, time) points.
func (s *series) points() []Point {
	out := make([]Point, 0, s.n)
	for _, c := range s.chunks {
		for _, p := range c {
			out = append(out, Point{Step: len(out), Value: p.value, Time: p.time})
		}
	}
	return out
}

// values returns the series' values.
func (s *series) values() []float64 {
	out := make([]float64, 0, s.n)
	for _, c := range s.chunks {
		for _, p := range c {
			out = append(out, p.value)
		}
	}
	return out
}

// last returns the last value; the series is never empty.
func (s *series) last() float64 {
	c := s.chunks[len(s.chunks)-1]
	return c[len(c)-1].value
}
