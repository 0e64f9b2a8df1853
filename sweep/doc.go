// Package sweep is the pure logic of hyperparameter sweeps, Azure ML's
// HyperDrive: search spaces under scikit-learn's parameter names (lists,
// integer ranges, choice, uniform, loguniform), grid and random sampling,
// and the early termination policies (Bandit, Median stopping, Truncation
// selection) applied fold by fold. It knows nothing of Temporal: the sweep
// workflow calls it, so everything here is deterministic.
//
// # Early termination
//
// A trial reports one value of the primary metric per cross-validation
// fold: its CV score on that fold (higher is better). Each report is one
// interval, numbered from 1. A policy is applied at interval i when
// i >= delay and i is a multiple of interval (Azure ML's documented
// example: delay_evaluation=5, evaluation_interval=1 applies the policy at
// every interval starting at interval 5). At an evaluation, "all trials"
// are the trials that have reported interval i so far, the trial itself
// included, whether still running, completed or stopped.
//
//   - bandit: the best value at interval i among all trials is B; the
//     trial stops when its value v < B/(1+slack_factor), or, with
//     slack_amount, when v < B − slack_amount.
//   - median: the trial stops when its best value over intervals 1..i is
//     below the median, over all trials, of their running averages over
//     intervals 1..i.
//   - truncation: of the n values at interval i, the lowest
//     floor(n·percentage/100) are cut: the trial stops when its value is
//     strictly below the value at that rank in ascending order (a value
//     tied with the first one kept is kept).
package sweep
