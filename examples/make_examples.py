"""Build the bundled sample submissions of ``gradient_descent`` in examples/submissions/.

Each one is the student release with some solution cells filled in, exactly what a student
would hand in. Run ``python3 examples/make_examples.py`` after ``gdkit release``.

    alice  the master's answers                      (full marks)
    bob    correct, another style: in place, @, np.multiply
    carol  sign error: the update climbs the slope (+=)
    dave   slope computed as sigmoid(output) * (1 - sigmoid(output))
    erin   divergence judged against the previous error, not the first
    frank  blank: the unmodified release
    gina   broken file: the notebook JSON cut short
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from gdkit.submissions import fill_solutions, master_answers, release_path

ASSIGNMENT = "gradient_descent"
OUT = Path(__file__).resolve().parent / "submissions"

BOB = {
    "sigmoid_output_to_derivative": '''
def sigmoid_output_to_derivative(output):
    return np.multiply(output, 1.0 - output)
''',
    "compute_layer_2_delta": '''
def compute_layer_2_delta(layer_2, y):
    slope = sigmoid_output_to_derivative(layer_2)
    return np.multiply(layer_2 - y, slope)
''',
    "compute_layer_1_delta": '''
def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
    return (layer_2_delta @ synapse_1.T) * sigmoid_output_to_derivative(layer_1)
''',
    "update_synapses": '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    synapse_1 -= alpha * (layer_1.T @ layer_2_delta)
    synapse_0 -= alpha * (layer_0.T @ layer_1_delta)
    return synapse_0, synapse_1
''',
    "detect_divergence": '''
def detect_divergence(errors):
    if len(errors) == 0:
        return False
    if not np.isfinite(np.asarray(errors, dtype=float)).all():
        return True
    return bool(errors[-1] > errors[0])
''',
}

CAROL_UPDATE = '''
def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    synapse_1 += alpha * layer_1.T.dot(layer_2_delta)
    synapse_0 += alpha * layer_0.T.dot(layer_1_delta)
    return synapse_0, synapse_1
'''

DAVE_DERIVATIVE = '''
def sigmoid_output_to_derivative(output):
    return sigmoid(output) * (1 - sigmoid(output))
'''

ERIN_DIVERGENCE = '''
def detect_divergence(errors):
    values = np.asarray(errors, dtype=float)
    if not np.all(np.isfinite(values)):
        return True
    return bool(len(values) >= 2 and values[-1] > values[-2])
'''


def _strip(answers):
    return {name: source.strip("\n") for name, source in answers.items()}


def build(out: Path = OUT, root=None) -> list[Path]:
    """Write the seven sample submissions into ``out``; returns their paths."""
    release = nbformat.read(release_path(ASSIGNMENT, root), as_version=4)
    master = master_answers(ASSIGNMENT, root)
    notebooks = {
        "alice": master,
        "bob": _strip(BOB),
        "carol": {**master, **_strip({"update_synapses": CAROL_UPDATE})},
        "dave": {**master, **_strip({"sigmoid_output_to_derivative": DAVE_DERIVATIVE})},
        "erin": {**master, **_strip({"detect_divergence": ERIN_DIVERGENCE})},
        "frank": {},
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for student, answers in notebooks.items():
        path = out / f"{student}.ipynb"
        path.write_text(nbformat.writes(fill_solutions(release, answers)) + "\n", encoding="utf-8")
        written.append(path)
    # gina's upload stopped half way: a real notebook's text, cut in the middle of a cell.
    text = (out / "alice.ipynb").read_text(encoding="utf-8")
    gina = out / "gina.ipynb"
    gina.write_text(text[: len(text) // 2], encoding="utf-8")
    written.append(gina)
    return written


if __name__ == "__main__":
    for written_path in build():
        print(written_path.relative_to(Path.cwd()) if written_path.is_relative_to(Path.cwd()) else written_path)
