"""The bug zoo for `tuning`: realistic wrong answers, each costing its own question only.

Used by ``gdkit validate`` (each bug graded with master answers elsewhere) and by the hidden
suite to name a student's mistake. None is mathematically equivalent to its contract
(checked by ``tests/test_checks.py``). The questions are independent, so no bug has
``also_loses``. The entries after the original ones come from the contracts' clauses (listed
in the suite's docstring): -inf, near-ties, an empty dict, seed 0, an X of integers, numpy
grids, momentum 0, the first step's zero velocity. The entries marked "from an independent
review" were written from the notebook's contracts alone. A name says what the code does, not
how it is written, since the diagnosis matches behaviour: "near-equal errors treated as a tie"
is also what np.isclose or float32 comparisons do.
"""
from gdkit.grading.diagnose import Bug

Q1, Q2, Q3, Q4, Q5 = ("q1_best_alpha", "q2_direction_changes", "q3_init_synapses",
                      "q4_error_surface", "q5_momentum_update")

BUGS = [
    # ---- q1: best_alpha ----
    Bug("returns the error, not the alpha", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [error for error in final_errors.values() if np.isfinite(error)]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)
""", "return the key (the alpha) whose error is smallest, not the error itself"),
    Bug("largest error", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, alpha) for alpha, error in final_errors.items() if np.isfinite(error)]
    if not finite:
        raise ValueError("no finite error")
    return max(finite)[1]
""", "the best alpha has the SMALLEST final error"),
    Bug("NaN not ignored", Q1, "best_alpha", """
def best_alpha(final_errors):
    if not any(np.isfinite(error) for error in final_errors.values()):
        raise ValueError("no finite error")
    return min(final_errors, key=final_errors.get)
""", "NaN compares False with everything, so min() can keep it: drop non-finite errors first"),
    Bug("ties go to the larger alpha", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, -alpha) for alpha, error in final_errors.items() if np.isfinite(error)]
    if not finite:
        raise ValueError("no finite error")
    return -min(finite)[1]
""", "on a tie, return the smaller alpha (the safer step)"),
    Bug("ties go to the first one listed", Q1, "best_alpha", """
def best_alpha(final_errors):
    best = None
    for alpha, error in final_errors.items():
        if np.isfinite(error) and (best is None or error < final_errors[best]):
            best = alpha
    if best is None:
        raise ValueError("no finite error")
    return best
""", "a dict's order is not the alphas' order: on a tie compare the alphas themselves"),
    Bug("returns None instead of raising", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, alpha) for alpha, error in final_errors.items() if np.isfinite(error)]
    if not finite:
        return None
    return min(finite)[1]
""", "when no error is finite, `raise ValueError(...)`; returning None hides the problem"),
    Bug("only NaN ignored, not inf", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, alpha) for alpha, error in final_errors.items() if not np.isnan(error)]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)[1]
""", "infinity is not a usable error either: filter with np.isfinite, which drops NaN and inf"),
    Bug("alpha truncated to int", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, alpha) for alpha, error in final_errors.items() if np.isfinite(error)]
    if not finite:
        raise ValueError("no finite error")
    return int(min(finite)[1])
""", "alphas like 0.1 are not whole numbers: return the key unchanged"),
    Bug("error 0 treated as missing", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, alpha) for alpha, error in final_errors.items() if error and np.isfinite(error)]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)[1]
""", "`if error` drops an error of exactly 0.0, the best possible run: test np.isfinite only"),
    Bug("-inf not ignored (error < inf)", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, alpha) for alpha, error in final_errors.items() if error < float("inf")]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)[1]
""", "minus infinity is not a finite error either: filter with np.isfinite"),
    Bug("near-equal errors treated as a tie", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(round(error, 6), alpha) for alpha, error in final_errors.items() if np.isfinite(error)]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)[1]
""", "only exactly equal errors tie: rounding, float32 or np.isclose turn a smaller error into a tie"),
    Bug("crashes on an empty dict", Q1, "best_alpha", """
def best_alpha(final_errors):
    alphas = sorted(final_errors)
    best = alphas[0]
    for alpha in alphas:
        error = final_errors[alpha]
        if np.isfinite(error) and (not np.isfinite(final_errors[best]) or error < final_errors[best]):
            best = alpha
    if not np.isfinite(final_errors[best]):
        raise ValueError("no finite error")
    return best
""", "an empty dict has no first alpha: with no finite error at all, raise ValueError"),
    Bug("returns the position, not the alpha", Q1, "best_alpha", """
def best_alpha(final_errors):
    errors = np.array(list(final_errors.values()), dtype=float)
    if not np.any(np.isfinite(errors)):
        raise ValueError("no finite error")
    errors[~np.isfinite(errors)] = np.inf
    return int(np.argmin(errors))
""", "np.argmin gives a position in the list; return the alpha at that position (the key)"),
    Bug("raises a plain Exception", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(error, alpha) for alpha, error in final_errors.items() if np.isfinite(error)]
    if not finite:
        raise Exception("every run diverged")
    return min(finite)[1]
""", "the contract names the exception: `raise ValueError(...)`"),
    # From an independent review written from the notebook's contract alone.
    Bug("ties go to the last one listed", Q1, "best_alpha", """
def best_alpha(final_errors):
    best, best_error = None, float("inf")
    for alpha, error in final_errors.items():
        if np.isfinite(error) and error <= best_error:
            best, best_error = alpha, error
    if best is None:
        raise ValueError("no finite error")
    return best
""", "`<=` keeps the last of equal errors in the dict's order: on a tie compare the alphas themselves"),
    Bug("np.nan_to_num makes NaN the best", Q1, "best_alpha", """
def best_alpha(final_errors):
    alphas = sorted(final_errors)
    errors = np.nan_to_num(np.array([final_errors[a] for a in alphas], dtype=float))
    if not np.isfinite([final_errors[a] for a in alphas]).any():
        raise ValueError("no finite error")
    return alphas[int(np.argmin(errors))]
""", "np.nan_to_num turns NaN into 0.0 (the best error) and -inf into a huge negative number: "
        "drop the entries that are not finite"),
    Bug("NaN kept (only +inf filtered out)", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(e, a) for a, e in final_errors.items() if e != float("inf")]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)[1]
""", "`!= inf` keeps NaN and -inf: filter with np.isfinite"),
    Bug("np.argmin over unfiltered errors", Q1, "best_alpha", """
def best_alpha(final_errors):
    alphas = sorted(final_errors)
    errors = np.array([final_errors[a] for a in alphas], dtype=float)
    if not np.isfinite(errors).any():
        raise ValueError("no finite error")
    return alphas[int(np.argmin(errors))]
""", "np.argmin returns the first NaN (and -inf is smallest): drop the non-finite errors before taking the minimum"),
    Bug("returns (alpha, error)", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]
    if not finite:
        raise ValueError("no finite error")
    error, alpha = min(finite)
    return alpha, error
""", "return the alpha alone (the key), not the pair"),
    Bug("returns NaN instead of raising", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]
    if not finite:
        return float("nan")
    return min(finite)[1]
""", "when no error is finite, `raise ValueError(...)`: NaN is not an alpha"),
    Bug("raises KeyError", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]
    if not finite:
        raise KeyError("no finite error")
    return min(finite)[1]
""", "the contract names the exception: `raise ValueError(...)`"),
    Bug("smallest finite alpha (errors not compared)", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [a for a, e in final_errors.items() if np.isfinite(e)]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)
""", "the best alpha is the one with the smallest ERROR, not the smallest alpha"),
    Bug("returns the alpha as a string", Q1, "best_alpha", """
def best_alpha(final_errors):
    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]
    if not finite:
        raise ValueError("no finite error")
    return str(min(finite)[1])
""", "return the key itself (a number), not its text"),
    Bug("None on an empty dict", Q1, "best_alpha", """
def best_alpha(final_errors):
    if not final_errors:
        return None
    finite = [(e, a) for a, e in final_errors.items() if np.isfinite(e)]
    if not finite:
        raise ValueError("no finite error")
    return min(finite)[1]
""", "an empty dict has no finite error either: raise ValueError"),
    # ---- q2: count_direction_changes ----
    # (`(update < 0) != (prev_update < 0)` is the same mistake, answer for answer.)
    Bug("zero counted as up (>= 0)", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return ((update >= 0) != (prev_update >= 0)).astype(int)
""", "an update of exactly 0 counts as 'not up': test update > 0 (`>= 0`, or comparing `< 0`, puts zero with the ups)"),
    Bug("compares np.sign", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return (np.sign(update) != np.sign(prev_update)).astype(int)
""", "np.sign has three values (-1, 0, 1); the contract only asks whether each update is > 0"),
    Bug("booleans not converted to int", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return (update > 0) != (prev_update > 0)
""", "return integers: add `.astype(int)`"),
    Bug("subtracts booleans", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return np.abs((update > 0) - (prev_update > 0))
""", "numpy 2 refuses to subtract booleans: convert with .astype(int) first (or compare with !=)"),
    Bug("only up-to-down flips", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return ((prev_update > 0) & ~(update > 0)).astype(int)
""", "a flip from down to up counts too: compare the two directions with !="),
    Bug("total instead of per weight", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return int(np.sum((update > 0) != (prev_update > 0)))
""", "return one 0/1 entry per weight (same shape as the inputs), not the total"),
    Bug("only opposite signs count as a flip", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return (update * prev_update < 0).astype(int)
""", "a flip between 'up' and 'zero' counts too: compare (update > 0) with (prev_update > 0)"),
    Bug("float result", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return np.abs((update > 0).astype(float) - (prev_update > 0).astype(float))
""", "the contract asks for an integer array: use .astype(int)"),
    Bug("overwrites prev_update", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    flips = ((update > 0) != (prev_update > 0)).astype(int)
    prev_update[...] = update
    return flips
""", "keeping the previous update is the caller's job: do not write into prev_update"),
    Bug("only down-to-up flips", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return (~(prev_update > 0) & (update > 0)).astype(int)
""", "a flip from up to down counts too: compare the two directions with !="),
    Bug("sign of the change between updates", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return ((update - prev_update) > 0).astype(int)
""", "compare the directions of the two updates, (update > 0) != (prev_update > 0), not their difference"),
    Bug("a product <= 0 counts as a flip", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return (update * prev_update <= 0).astype(int)
""", "two zero updates, or down then zero, are no flip: compare (update > 0) with (prev_update > 0)"),
    Bug("flattened result", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return ((np.ravel(update) > 0) != (np.ravel(prev_update) > 0)).astype(int)
""", "return one entry per weight in the inputs' shape: no ravel or flatten"),
    # From an independent review written from the notebook's contract alone.
    Bug("np.signbit (0 counts as up, -0.0 as down)", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return (np.signbit(update) != np.signbit(prev_update)).astype(int)
""", "np.signbit tells 0.0 from -0.0 and calls 0 'up': the direction is (update > 0)"),
    Bug("clips update in place", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    update[update < 0] = 0
    return ((update > 0) != (prev_update > 0)).astype(int)
""", "`update[...] = 0` writes into the caller's array: compare (update > 0) without changing it"),
    Bug("2-D loops only", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    flips = np.zeros(update.shape, dtype=int)
    for i in range(update.shape[0]):
        for j in range(update.shape[1]):
            flips[i, j] = int((update[i, j] > 0) != (prev_update[i, j] > 0))
    return flips
""", "updates can have any shape: compare whole arrays, (update > 0) != (prev_update > 0)"),
    Bug("signed difference (-1 for up to down)", Q2, "count_direction_changes", """
def count_direction_changes(prev_update, update):
    return (update > 0).astype(int) - (prev_update > 0).astype(int)
""", "a flip either way is 1: take the absolute value of the difference, or compare with !="),
    # ---- q3: init_synapses ----
    Bug("never seeds", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "call np.random.seed(seed) first, so every run starts from the same weights"),
    Bug("seed 1 hard-coded", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(1)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "use the seed argument, not the tutorial's 1"),
    Bug("draw order swapped", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    return synapse_0, synapse_1
""", "draw synapse_0 first, then synapse_1: the seeded stream hands out numbers in order"),
    Bug("reseeds before synapse_1", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    np.random.seed(seed)
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "seed once; reseeding makes synapse_1 repeat synapse_0's first numbers"),
    Bug("range [0, 1) instead of [-1, 1)", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    return np.random.random((n_inputs, hidden)), np.random.random((hidden, n_outputs))
""", "2 * random - 1 stretches [0, 1) to [-1, 1): weights must be able to be negative"),
    Bug("shapes transposed", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((hidden, n_inputs)) - 1
    synapse_1 = 2 * np.random.random((n_outputs, hidden)) - 1
    return synapse_0, synapse_1
""", "synapse_0 has shape (n_inputs, hidden) and synapse_1 (hidden, n_outputs)"),
    Bug("new-style Generator", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    generator = np.random.default_rng(seed)
    return (2 * generator.random((n_inputs, hidden)) - 1, 2 * generator.random((hidden, n_outputs)) - 1)
""", "the contract is the legacy np.random.seed + np.random.random, which reproduces the tutorial"),
    Bug("normal instead of uniform", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    return np.random.randn(n_inputs, hidden), np.random.randn(hidden, n_outputs)
""", "use np.random.random (uniform), then 2 * r - 1"),
    Bug("synapses returned in the wrong order", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_1, synapse_0
""", "return (synapse_0, synapse_1) in that order"),
    Bug("tutorial sizes hard-coded", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    return 2 * np.random.random((3, 4)) - 1, 2 * np.random.random((4, 1)) - 1
""", "use the sizes you are given, not the toy network's 3, 4 and 1"),
    Bug("seed 0 skipped (`if seed:`)", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    if seed:
        np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "0 is a seed like any other: call np.random.seed(seed) unconditionally"),
    Bug("seed 0 replaced by 1 (`seed or 1`)", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed or 1)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "`seed or 1` turns seed 0 into 1: use the seed you are given"),
    Bug("range [-0.5, 0.5)", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    return np.random.random((n_inputs, hidden)) - 0.5, np.random.random((hidden, n_outputs)) - 0.5
""", "the tutorial's weights span [-1, 1): 2 * random - 1"),
    Bug("1 - 2 * random (mirrored)", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    return 1 - 2 * np.random.random((n_inputs, hidden)), 1 - 2 * np.random.random((hidden, n_outputs))
""", "the same range but mirrored values: the contract is 2 * random - 1"),
    Bug("synapse_1 drawn transposed", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = (2 * np.random.random((n_outputs, hidden)) - 1).T
    return synapse_0, synapse_1
""", "draw synapse_1 with shape (hidden, n_outputs) directly: a transposed draw puts the numbers in other places"),
    # From an independent review written from the notebook's contract alone.
    Bug("reseeds with seed + 1 for synapse_1", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    np.random.seed(seed + 1)
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "seed once, then draw synapse_1 right after synapse_0 from the same stream"),
    Bug("hidden size fixed at 4", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, 4)) - 1
    synapse_1 = 2 * np.random.random((4, n_outputs)) - 1
    return synapse_0, synapse_1
""", "the hidden size is the `hidden` argument, not the tutorial's 4"),
    Bug("synapse_1 left in [0, 1)", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = np.random.random((hidden, n_outputs))
    return synapse_0, synapse_1
""", "both synapses are 2 * random - 1, in [-1, 1)"),
    Bug("extra bias row in synapse_0", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((n_inputs + 1, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "X already holds the bias column: synapse_0 has shape (n_inputs, hidden)"),
    Bug("seed masked to 31 bits", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    np.random.seed(seed & 0x7FFFFFFF)
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "np.random.seed takes any seed below 2**32: pass it unchanged"),
    Bug("seeds after drawing synapse_0", Q3, "init_synapses", """
def init_synapses(n_inputs, hidden, n_outputs, seed):
    synapse_0 = 2 * np.random.random((n_inputs, hidden)) - 1
    np.random.seed(seed)
    synapse_1 = 2 * np.random.random((hidden, n_outputs)) - 1
    return synapse_0, synapse_1
""", "call np.random.seed(seed) first, before any draw"),
    # ---- q4: error_surface ----
    Bug("axes swapped", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w1_values), len(w0_values)))
    for j, w1 in enumerate(w1_values):
        for i, w0 in enumerate(w0_values):
            surface[j, i] = np.mean(np.abs(sigmoid(X.dot([w0, w1])) - targets))
    return surface
""", "rows follow w0_values and columns w1_values: shape (len(w0_values), len(w1_values))"),
    Bug("weights swapped", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean(np.abs(sigmoid(X.dot([w1, w0])) - targets))
    return surface
""", "w0 multiplies column 0 of X and w1 column 1: X @ [w0, w1]"),
    Bug("squared error", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean((sigmoid(X.dot([w0, w1])) - targets) ** 2)
    return surface
""", "the tutorial's error is the mean ABSOLUTE error, not the squared one"),
    Bug("sum instead of mean", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.sum(np.abs(sigmoid(X.dot([w0, w1])) - targets))
    return surface
""", "average over the rows with np.mean"),
    Bug("no sigmoid", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean(np.abs(X.dot([w0, w1]) - targets))
    return surface
""", "the network's output is sigmoid(X @ [w0, w1])"),
    Bug("y not flattened", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean(np.abs(sigmoid(X.dot([w0, w1])) - y))
    return surface
""", "with y of shape (n, 1), (n,) - (n, 1) broadcasts to (n, n): flatten y with .reshape(-1)"),
    Bug("integer grid", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)), dtype=int)
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean(np.abs(sigmoid(X.dot([w0, w1])) - targets))
    return surface
""", "an int array truncates every error to 0: create the grid with float entries"),
    Bug("square grid assumed", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    size = len(w0_values)
    surface = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            surface[i, j] = np.mean(np.abs(sigmoid(X.dot([w0_values[i], w1_values[j]])) - targets))
    return surface
""", "the two weight lists can have different lengths: use len(w1_values) for the columns"),
    Bug("signed error", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean(sigmoid(X.dot([w0, w1])) - targets)
    return surface
""", "take the absolute value before averaging, or misses of opposite sign cancel out"),
    Bug("weights cast to X's dtype", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            weights = np.array([w0, w1], dtype=X.dtype)
            surface[i, j] = np.mean(np.abs(sigmoid(X.dot(weights)) - targets))
    return surface
""", "an X of integers makes an integer weight array that drops the fractions: build it with dtype=float"),
    Bug("weights as a column (n, 1) against y (n,)", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            outputs = sigmoid(X.dot(np.array([[w0], [w1]])))
            surface[i, j] = np.mean(np.abs(outputs - y))
    return surface
""", "an (n, 1) output minus a y of shape (n,) broadcasts to (n, n): flatten both to (n,)"),
    Bug("pairs zipped (only the diagonal)", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    return np.array([np.mean(np.abs(sigmoid(X.dot([w0, w1])) - targets)) for w0, w1 in zip(w0_values, w1_values)])
""", "every w0 meets every w1: two nested loops (or a meshgrid), shape (len(w0_values), len(w1_values))"),
    Bug("classification error (rounded outputs)", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    targets = np.asarray(y, dtype=float).reshape(-1)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean(np.abs(np.round(sigmoid(X.dot([w0, w1]))) - targets))
    return surface
""", "use the sigmoid's output itself, not its rounded 0/1 guess: the surface must be smooth"),
    # From an independent review written from the notebook's contract alone.
    Bug("errors rounded to 4 decimals", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    target = np.ravel(y)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = round(float(np.mean(np.abs(sigmoid(X @ np.array([w0, w1])) - target))), 4)
    return surface
""", "return the errors as computed: rounding is for printing"),
    Bug("root mean squared error", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    target = np.ravel(y)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.sqrt(np.mean((sigmoid(X @ np.array([w0, w1])) - target) ** 2))
    return surface
""", "the tutorial's error is the mean ABSOLUTE error"),
    Bug("bias added to the output", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    target = np.ravel(y)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.mean(np.abs(sigmoid(X @ np.array([w0, w1]) + 1) - target))
    return surface
""", "the 2-weight network has no bias: sigmoid(X @ [w0, w1])"),
    Bug("median instead of mean", Q4, "error_surface", """
def error_surface(X, y, w0_values, w1_values):
    target = np.ravel(y)
    surface = np.zeros((len(w0_values), len(w1_values)))
    for i, w0 in enumerate(w0_values):
        for j, w1 in enumerate(w1_values):
            surface[i, j] = np.median(np.abs(sigmoid(X @ np.array([w0, w1])) - target))
    return surface
""", "average the absolute errors with np.mean"),
    # ---- q5: momentum_update ----
    Bug("velocity ignored", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    step = alpha * gradient
    return synapse - step, step
""", "keep part of the old velocity: new_velocity = momentum * velocity + alpha * gradient"),
    Bug("forgets alpha", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + gradient
    return synapse - new_velocity, new_velocity
""", "scale the gradient by alpha: momentum * velocity + alpha * gradient"),
    Bug("steps uphill", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse + new_velocity, new_velocity
""", "the update climbs the slope: subtract the velocity from the synapse"),
    Bug("returns the old velocity", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - new_velocity, velocity
""", "return the NEW velocity: the next step builds on it"),
    Bug("synapse and velocity returned swapped", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return new_velocity, synapse - new_velocity
""", "return (new_synapse, new_velocity) in that order"),
    Bug("synapse updated in place", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    synapse -= new_velocity
    return synapse, new_velocity
""", "`synapse -= ...` changes the caller's array: compute `synapse - new_velocity` instead"),
    Bug("velocity updated in place", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    velocity *= momentum
    velocity += alpha * gradient
    return synapse - velocity, velocity
""", "`velocity *= ...` changes the caller's array: build a new one"),
    Bug("momentum scales the gradient too", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * (velocity + alpha * gradient)
    return synapse - new_velocity, new_velocity
""", "momentum multiplies the old velocity only: momentum * velocity + alpha * gradient"),
    Bug("averaged velocity (1 - momentum)", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + (1 - momentum) * alpha * gradient
    return synapse - new_velocity, new_velocity
""", "this contract does not damp the gradient by (1 - momentum): momentum * velocity + alpha * gradient"),
    Bug("velocity stored with the opposite sign", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity - alpha * gradient
    return synapse + new_velocity, new_velocity
""", "the contract's velocity points uphill: new_velocity = momentum * velocity + alpha * gradient, synapse - new_velocity"),
    Bug("alpha applied twice", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - alpha * new_velocity, new_velocity
""", "alpha is already inside the velocity: new_synapse = synapse - new_velocity"),
    Bug("old velocity kept at momentum 0", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    if momentum == 0:
        return synapse - alpha * gradient, velocity
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - new_velocity, new_velocity
""", "with momentum 0 the new velocity is alpha * gradient, not the old velocity"),
    Bug("steps with the old velocity", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - velocity, new_velocity
""", "step with the NEW velocity: new_synapse = synapse - new_velocity"),
    Bug("gradient scaled in place", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    gradient *= alpha
    new_velocity = momentum * velocity + gradient
    return synapse - new_velocity, new_velocity
""", "`gradient *= alpha` changes the caller's array: compute alpha * gradient as a new array"),
    Bug("momentum ignored (velocity + alpha * gradient)", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = velocity + alpha * gradient
    return synapse - new_velocity, new_velocity
""", "the old velocity is scaled by momentum: momentum * velocity + alpha * gradient"),
    Bug("alpha scales the old velocity too", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = alpha * (momentum * velocity + gradient)
    return synapse - new_velocity, new_velocity
""", "alpha scales the gradient only: momentum * velocity + alpha * gradient"),
    Bug("Nesterov look-ahead step", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - (momentum * new_velocity + alpha * gradient), new_velocity
""", "this contract is plain momentum: new_synapse = synapse - new_velocity"),
    # From an independent review written from the notebook's contract alone.
    Bug("returns only the new synapse", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - new_velocity
""", "return both: `return new_synapse, new_velocity` (the next step needs the velocity)"),
    Bug("velocity subtracts the gradient, synapse subtracts the velocity", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity - alpha * gradient
    return synapse - new_velocity, new_velocity
""", "new_velocity = momentum * velocity + alpha * gradient; then new_synapse = synapse - new_velocity"),
    Bug("alpha and momentum swapped", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = alpha * velocity + momentum * gradient
    return synapse - new_velocity, new_velocity
""", "momentum scales the old velocity and alpha the gradient"),
    Bug("zero velocity returned at momentum 0", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    if momentum == 0:
        return synapse - alpha * gradient, np.zeros_like(velocity)
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - new_velocity, new_velocity
""", "with momentum 0 the new velocity is alpha * gradient, the step just taken"),
    Bug("returns the step (-velocity)", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - new_velocity, -new_velocity
""", "return new_velocity itself (momentum * velocity + alpha * gradient), not the step"),
    Bug("synapse steps by alpha * gradient only", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return synapse - alpha * gradient, new_velocity
""", "step with the new velocity: new_synapse = synapse - new_velocity"),
    Bug("returns a dict", Q5, "momentum_update", """
def momentum_update(synapse, gradient, velocity, alpha, momentum):
    new_velocity = momentum * velocity + alpha * gradient
    return {"synapse": synapse - new_velocity, "velocity": new_velocity}
""", "return the pair: `return new_synapse, new_velocity`"),
]
