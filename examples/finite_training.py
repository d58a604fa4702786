"""A finite transformer trained by gradient descent, next to its infinite-width limit.

``AttentionNTKRegressor(t=...)`` predicts what an infinitely wide transformer
trained by gradient flow on the squared error for a time ``t`` outputs, as a
Gaussian over random initialisations (mean and standard deviation). This example
trains finite transformers of the same architecture and parameterisation
(``skattn.networks.finite``: NTK parameterisation, standard normal parameters)
by full-batch gradient descent on the same loss, ``||f(X) - y||^2 / (2 n)``, and
compares them with the regressor at the same times ``t = learning rate x steps``.
The data: aeon's ItalyPowerDemand, hours 0-19 of each day as 5 tokens of 4 hours,
the target the mean of hours 20-23 (standardised).

Left: the training loss of finite networks (mean over an ensemble) against the
infinite-width expectation. Right: the distance between the finite ensemble's
mean prediction on test days and the infinite-width mean, relative to the size of
that mean: it shrinks as the width grows, down to what an ensemble of that size
leaves even at infinite width (grey, from the regressor's standard deviation).

    python examples/finite_training.py          # writes the figure
    python examples/finite_training.py --quick  # small sizes (CI)
"""


import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from aeon.datasets import load_classification

from skattn import AttentionNTKRegressor
from skattn.networks import finite

from _common import example_parser, save_figure

ARCHITECTURE = dict(n_blocks=1, positional="sum")


def load(n_train, n_test):
    X, _ = load_classification("ItalyPowerDemand", split="train")
    X_more, _ = load_classification("ItalyPowerDemand", split="test")
    days = np.concatenate([X, X_more])[:n_train + n_test, 0, :]
    inputs = days[:, :20].reshape(-1, 5, 4).astype(np.float32)
    target = days[:, 20:].mean(axis=1)
    target = (target - target[:n_train].mean()) / target[:n_train].std()
    return inputs[:n_train], inputs[n_train:], target[:n_train], target[n_train:]


def train_ensemble(net, X, y, X_test, members, learning_rate, checkpoints, seed):
    """Train ``members`` networks by full-batch gradient descent; outputs at checkpoints.

    Returns ``(losses, test_outputs)``: ``(len(checkpoints), members)`` training
    losses and ``(len(checkpoints), members, n_test)`` test outputs.
    """
    keys = jax.random.split(jax.random.key(seed), members)
    params = jax.vmap(net.init, (0, None))(keys, X)

    def loss(p):
        return jnp.sum((net.apply(p, X)[:, 0] - y) ** 2) / (2 * len(y))

    @jax.jit
    def run(p, steps):
        def step(_, p):
            grads = jax.grad(loss)(p)
            return jax.tree.map(lambda a, g: a - learning_rate * g, p, grads)
        return jax.lax.fori_loop(0, steps, step, p)

    run_all = jax.vmap(run, (0, None))
    losses, outputs, done = [], [], 0
    for steps in checkpoints:
        params = run_all(params, steps - done)
        done = steps
        losses.append(np.asarray(jax.vmap(loss)(params)))
        outputs.append(np.asarray(jax.vmap(net.apply, (0, None))(params, X_test))[..., 0])
    return np.array(losses), np.array(outputs)


def relative_gap(outputs, mean):
    """RMS distance of the ensemble's mean output from ``mean``, relative to ``mean``."""
    return np.sqrt(np.mean((outputs.mean(axis=0) - mean) ** 2) / np.mean(mean**2))


def main(argv=None):
    parser = example_parser(__doc__, quick="small sizes (CI)")
    args = parser.parse_args(argv)
    n_train, n_test = (16, 16) if args.quick else (32, 64)
    X, X_test, y, y_test = load(n_train, n_test)
    widths = [16] if args.quick else [16, 64, 256]
    members = 2 if args.quick else 8
    checkpoints = [1, 10] if args.quick else [1, 3, 10, 30, 100, 300]

    # the learning rate from the NTK's largest eigenvalue: each mode moves at
    # most at rate 1 per step (gradient descent is then close to gradient flow)
    model = AttentionNTKRegressor(**ARCHITECTURE, alpha=1e-8)
    ntk = model.compute_kernel(X)
    learning_rate = len(y) / np.linalg.eigvalsh(ntk)[-1]
    times = learning_rate * np.array(checkpoints)

    infinite = []  # (expected training loss, test mean, test std) at each time
    for t in times:
        model.set_params(t=float(t)).fit(X, y)
        mean, std = model.predict(X, return_std=True)
        expected_loss = (np.sum((mean - y) ** 2) + np.sum(std**2)) / (2 * len(y))
        infinite.append((expected_loss, *model.predict(X_test, return_std=True)))
        print(f"t={t:9.3f}: infinite width, expected training loss {expected_loss:.4f}")

    finite_runs = {}
    for width in widths:
        net = finite(model._architecture(), width=width, n_heads=1)
        losses, outputs = train_ensemble(net, X, y, X_test, members, learning_rate,
                                         checkpoints, seed=width)
        finite_runs[width] = (losses, outputs)
        _, mean, _ = infinite[-1]
        gap = relative_gap(outputs[-1], mean)
        print(f"width={width:<4}: training loss {losses[-1].mean():.4f} at t={times[-1]:.3f}; "
              f"test: ensemble mean off the infinite-width mean by {gap:.3f} (relative)")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.loglog(times, [row[0] for row in infinite], "k-", lw=2, label="infinite width")
    for width, color in zip(widths, ["tab:blue", "tab:orange", "tab:green"]):
        losses, outputs = finite_runs[width]
        left.loglog(times, losses.mean(axis=1), "o--", color=color, label=f"width {width}")
        right.loglog(times, [relative_gap(out, row[1]) for out, row in zip(outputs, infinite)],
                     "o-", color=color, label=f"width {width}")
    floor = [np.sqrt(np.mean(row[2] ** 2) / members / np.mean(row[1] ** 2)) for row in infinite]
    right.loglog(times, floor, color="gray", ls=":",
                 label=f"ensemble of {members} at infinite width")
    left.set_xlabel("training time t (learning rate x steps)")
    left.set_ylabel("training loss $||f - y||^2 / 2n$")
    left.set_title(f"Full-batch gradient descent, {members} networks per width", fontsize=10)
    left.legend(fontsize=8)
    right.set_xlabel("training time t")
    right.set_ylabel("RMS(finite mean - infinite mean) / RMS(infinite mean)")
    right.set_title(f"Test predictions ({n_test} days) against AttentionNTKRegressor(t)",
                    fontsize=10)
    right.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, args.out, "finite_training.png")


if __name__ == "__main__":
    main()
