// Package view renders results for people and programs: a plan as text (for
// a terminal), markdown (for a pull-request comment) or JSON (a stable,
// documented schema). Views only read the plan; they never decide anything.
//
// Place in the pipeline: plan -> view (stdout). Logs go to stderr elsewhere.
//
// Invariants: every view of one plan shows the same changes in the same
// order; a secret field prints as "(secret)" in every view, and no view can
// print a secret value because plans never hold one.
package view
