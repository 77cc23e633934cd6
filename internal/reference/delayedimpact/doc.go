// Package delayedimpact is an independent reference implementation of the
// one-step lending model of Liu, Dean, Rolf, Simchowitz and Hardt,
// "Delayed Impact of Fair Machine Learning", ICML 2018 (PMLR 80, liu18c;
// arXiv:1803.04383), on the Federal Reserve's 2007 TransRisk tables in
// scenarios/data/fico-transrisk. It was written from the paper and the data
// directory's README.md alone: no nosedive engine code (internal/sim,
// rule, scenario, ...) and none of the authors' code was read. It is a
// yardstick for tests; nothing in the engine imports it.
//
// Everything is computed exactly over the 198 discrete score levels
// (closed-form sums, no simulation): a threshold policy is piecewise linear
// in its selection rate, so optima are found by trying every breakpoint.
//
// # What was taken from the paper
//
// Where the text was read: the abstract and section 1 (introduction) were
// read from stored copies of the paper (the arXiv v2 LaTeX source and the
// PMLR PDF text); the stored copies available to the author returned only
// the opening of the paper, so the model and experiment sections below
// were written from the author's knowledge of the paper, the task brief's
// summary of it (c+ = 75, c- = -150, MaxUtil thresholds where
// rho = u/(1+u)) and the data README. Section numbers are given as the
// paper uses them; equation numbers are not, since they could not be
// checked against the text.
//
//   - Section 2 (problem setting): groups j with population shares g_j; a
//     finite set of scores x with distributions pi_j(x); rho(x), the
//     probability that a person of score x repays; a selection policy
//     tau_j(x) in [0, 1], the probability of a loan at score x. The
//     lender's expected utility is U(tau) = sum_j g_j sum_x tau_j(x) pi_j(x)
//     u(x) with u(x) = u+ rho(x) + u- (1 - rho(x)) (gain, Solve's Utility).
//     A repaid loan raises the score by c+, a default changes it by c-, so
//     the expected change at score x is Delta(x) = c+ rho(x) + c- (1 -
//     rho(x)) (scoreChange), and the change of the group's mean score is
//     Delta mu_j(tau) = sum_x tau_j(x) pi_j(x) Delta(x): over the whole
//     group, people who get no loan counting as unchanged (DeltaMu).
//   - Section 2, the definitions of impact: a policy causes active harm if
//     Delta mu < 0, stagnation if = 0, improvement if > 0; relative harm and
//     relative improvement compare Delta mu with that of the MaxUtil policy
//     (Region).
//   - Section 2 (fairness criteria): MaxUtil maximises U without constraint;
//     DemParity maximises U subject to equal selection rates sum_x pi_j(x)
//     tau_j(x) across groups; EqOpt maximises U subject to equal
//     true-positive rates TPR_j(tau) = sum_x tau_j(x) pi_j(x) rho(x) /
//     sum_x pi_j(x) rho(x) (Solve).
//   - Section 3 (the outcome curve): policies are threshold policies with
//     randomisation at the threshold, indexed by their selection rate beta;
//     the outcome curve is f(beta) = Delta mu of the threshold policy of
//     rate beta (OutcomeCurve). Its regions: rates whose f lies below
//     MaxUtil's are relative harm, above it relative improvement, f < 0
//     active harm. RegionsOf returns the boundaries: the MaxUtil rate, the
//     rate beta* of the largest f, the rate beyond beta* where f falls back
//     to f(MaxUtil) (called Bar here), and the rate beta_0 beyond beta*
//     where f crosses zero (Zero).
//   - Section 6 (FICO experiments): the Federal Reserve's TransRisk scores,
//     the Black and white groups, c+ = 75 and c- = -150, and the lender's
//     loss/profit ratio u-/u+ = -4 and -10 in the figure of the groups'
//     CDFs and policy thresholds (u = 4 and u = 10 here).
//
// # Numbers the paper states
//
// The author knows of no table of values in the paper; its FICO figures
// carry the qualitative results. The caption of the thresholds figure, as the author
// recalls it (it could not be re-read, see above): "in (a) [u-/u+ = -4]
// DemParity causes active harm while in (b) [-10] it does not. EqOpt and
// MaxUtil never cause active harm." TestPaperClaims asserts exactly that
// for the Black group (and no active harm from MaxUtil or EqOpt for either
// group), and the abstract's "may in fact cause harm in cases where an
// unconstrained objective would not" is the same finding.
//
// # Choices the paper leaves open, made here
//
//   - Repayment probability by group: the paper writes rho(x) for one
//     function of the score; the data gives a default rate per group and
//     level, and the README says rho = 1 - rate/100 per group, so rho_j(x)
//     is group-specific and MaxUtil's threshold is each group's own level
//     where rho_j crosses u/(1+u).
//   - Masses: pi_j(level i) = (cdf_i - cdf_{i-1}) / cdf_last with cdf_{-1}
//     = 0 (cdf_last is 100.00 in the files); levels of zero mass are never
//     thresholds.
//   - Percentile to score: the computations use the discrete levels only;
//     the README's piecewise-linear map (0 -> 300, ..., 100 -> 850, ScoreOf)
//     only labels a threshold (Threshold.Score). Scores are not clipped to
//     300-850 after a change: Delta(x) is the paper's c+ rho + c- (1 - rho)
//     at every level, so a person near 850 who repays counts +75 and one
//     near 300 who defaults -150.
//   - Utility scale: u+ = 1 and u- = -u, u the loss/profit ratio (the
//     paper's u-/u+ = -4 is u = 4). Utility is reported per member of the
//     group; TotalUtility weights the groups by their shares.
//   - Group shares: the sample counts of totals.csv of the groups solved
//     together over their sum (Black 18,274 and white 133,165 give g_Black
//     = 0.1207).
//   - Randomisation: a threshold policy selects every level above its
//     threshold level and a share Prob of the threshold level (one coin
//     flip per person at the boundary), nobody below.
//   - Threshold policies only: the paper's argument that thresholds are
//     optimal needs rho increasing in the score. The Black default rate
//     rises from 4.22% to 5.23% between percentiles 80 and 90; there
//     lending still gains and Delta is still positive for the u used here
//     (rho > 0.94), so MaxUtil's thresholds and the curve's regions are
//     unaffected, but all optima are over threshold policies, as in the
//     paper.
//   - Ties: MaxUtil does not lend at a level of exactly zero expected gain
//     and takes the smallest rate among equal utilities; DemParity and
//     EqOpt take the smallest common rate among equal totals.
//   - Regions: active harm takes precedence (a Delta mu below zero is
//     active harm even though it is also below MaxUtil's); Zero is 1 when
//     the curve never falls below zero (the white group: lending to
//     everyone still raises its mean score); Bar is the MaxUtil rate when
//     MaxUtil already lends beyond beta*.
//
// Non-goals: the paper's measurement-error section and its outcome-based
// policies are not implemented; nothing here draws or simulates people.
package delayedimpact
