"""Generate neural-tangents reference fixtures for the skattn test-suite.

This is a developer tool, not part of the package and never imported by the
tests. It builds the canonical skattn transformer architecture (see `build`)
with neural-tangents 0.6.5 `stax` layers, evaluates the infinite-width NNGP/NTK
kernels and the `predict.gradient_descent_mse_ensemble` posteriors on small
seeded inputs, and writes them as float64 arrays to

    tests/data/nt_reference.npz          kernels (one entry per named case)
    tests/data/nt_layers_reference.npz   kernels of networks of single layers
                                         (convolution, pooling, the paper's IMDb net)
    tests/data/nt_predict_reference.npz  GP / NTK posterior means and covariances

so that CI can compare skattn against neural-tangents without installing it.

neural-tangents 0.6.5 only imports with an old, pinned JAX/TensorFlow stack;
the environment recipe is in ../shared/nt-reference/README.md (relative to the
repository root). With that virtualenv at .nt-ref/, run from the repository
root:

    TF_CPP_MIN_LOG_LEVEL=3 .nt-ref/bin/python tools/make_nt_reference.py [OUT_DIR]

OUT_DIR defaults to tests/data/ next to this script's parent directory.

Fixture layout
--------------
nt_reference.npz: key ``cases`` lists the case names; per case ``C``:
    ``C/params``  0-d unicode array: JSON of the `transformer` kwargs that
                  differ from the defaults (`DEFAULTS` below);
    ``C/x1``      (n1, L, d) float64, padding tokens are all-NaN;
    ``C/x2``      (n2, L, d) float64, absent for cases that test ``X2=None``;
    ``C/nngp``, ``C/ntk``  (n1, n2) float64 (n2 = n1 when ``C/x2`` is absent),
                  from ``kernel_fn(x1, x2, ("nngp", "ntk"), mask_constant=nan)``.

nt_layers_reference.npz: as nt_reference.npz, with ``C/spec`` (JSON of a layer
spec, see `LAYER_CASES`) in place of ``C/params``.

nt_predict_reference.npz: key ``cases``; per case ``C``: ``C/params``,
``C/x_train`` (n_train, L, d), ``C/y_train`` (n_train, k), ``C/x_test``
(NaN padding in the stored arrays; a finite sentinel is used when calling NT),
``C/alpha`` (absolute diagonal regulariser), ``C/t`` (finite training time) and
``C/{nngp,ntk}_mean_inf`` / ``C/{nngp,ntk}_cov_inf`` (t=None; ``nngp_mean`` and
``nngp_cov`` are the same exact-GP posterior stored under the plain names) and
``C/{nngp,ntk}_mean_t`` / ``C/{nngp,ntk}_cov_t`` (t=C/t). Means are
(n_test, k), covariances (n_test, n_test) (shared over the k outputs).

Time normalisation of gradient_descent_mse_ensemble (learning_rate=1): with
K = K_train_train + alpha*I = V diag(lam) V^T and N = y_train.size
(n_train * k, *all* target entries),
    mean(t) = K_test_train V diag((1 - exp(-lam t / N)) / lam) V^T y_train,
i.e. the gradient-flow rate is divided by y_train.size (the MSE loss is
averaged over all target entries).
"""

from __future__ import annotations

import json
import os
import sys
import zlib

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
from neural_tangents import predict, stax  # noqa: E402

DEFAULTS = dict(
    n_blocks=2,
    attention="softmax",
    scaling="linear",
    qk_std=1.0,
    ov_std=1.0,
    positional="none",
    pos_std=1.0,
    pos_decay=None,
    pos_scale=1.0,
    pos_p_norm=2,
    val_pos_emb=False,
    layer_norm="post",
    residual=True,
    mlp=True,
    activation="relu",
    w_std=1.0,
    b_std=0.0,
    filter_size=1,
    pool=1,
)

SENTINEL = -1e8  # finite mask constant for predict.* (it compares with `!=`)


ACTIVATIONS = {
    "relu": stax.Relu,
    "erf": stax.Erf,
    "gelu": stax.Gelu,
    "identity": stax.Identity,
}

#: skattn's SelfAttention parameters and their defaults (the layer specs' "attention").
ATTENTION_DEFAULTS = {k: DEFAULTS[k] for k in (
    "attention", "scaling", "qk_std", "ov_std", "positional", "pos_std", "pos_decay",
    "pos_scale", "pos_p_norm", "val_pos_emb")}


def attention(p):
    """skattn's ``SelfAttention(**p)`` (its ``b_std`` included) as a stax layer."""
    p = {**ATTENTION_DEFAULTS, "b_std": 0.0, **p}
    pos_scale = p["pos_scale"]
    decay = {
        None: None,
        "exp": lambda d: jnp.exp(-d / pos_scale),
        "inverse": lambda d: 1 / (1 + d / pos_scale),
    }[p["pos_decay"]]
    return stax.GlobalSelfAttention(
        n_chan_out=1, n_chan_key=1, n_chan_val=1, n_heads=1,
        linear_scaling=(p["scaling"] == "linear"),
        attention_mechanism=p["attention"].upper(),
        W_query_std=p["qk_std"], W_key_std=1.0,
        W_value_std=p["ov_std"], W_out_std=1.0,
        b_std=p["b_std"],
        pos_emb_type=p["positional"].upper(),
        W_pos_emb_std=p["pos_std"],
        pos_emb_p_norm=p["pos_p_norm"],
        pos_emb_decay_fn=decay,
        val_pos_emb=p["val_pos_emb"],
    )


def build(params):
    """The canonical skattn `transformer(**params)` as a neural-tangents stax triple."""
    p = dict(DEFAULTS)
    unknown = set(params) - set(p)
    if unknown:
        raise TypeError(f"unknown transformer parameters: {sorted(unknown)}")
    p.update(params)

    def dense():
        return stax.Dense(1, W_std=p["w_std"], b_std=p["b_std"])

    act = ACTIVATIONS[p["activation"]]

    def attn():
        return attention(p)

    def mlp():
        return stax.serial(dense(), act(), dense())

    def sub_block(f):
        ln = p["layer_norm"]
        if ln == "pre":
            f = stax.serial(stax.LayerNorm(axis=-1), f)
        if p["residual"]:
            f = stax.serial(stax.FanOut(2), stax.parallel(stax.Identity(), f),
                            stax.FanInSum())
        if ln == "post":
            f = stax.serial(f, stax.LayerNorm(axis=-1))
        elif ln not in ("pre", "none"):
            raise ValueError(ln)
        return f

    if p["filter_size"] == 1:
        layers = [dense()]
    else:
        layers = [stax.Conv(1, (p["filter_size"],), padding="SAME", W_std=p["w_std"],
                            b_std=p["b_std"])]
    if p["pool"] > 1:
        layers.append(stax.AvgPool((p["pool"],), (p["pool"],), "SAME"))
    for _ in range(p["n_blocks"]):
        layers.append(sub_block(attn()))
        if p["mlp"]:
            layers.append(sub_block(mlp()))
    layers += [stax.GlobalAvgPool(), dense()]
    return stax.serial(*layers)


# --------------------------------------------------------------------------- inputs


def _rng(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def make_inputs(rng, n, L, d, pad="trail"):
    """Normal inputs (n, L, d); `pad` in {"none", "trail", "pre"} NaN-masks tokens.

    Padding leaves every sequence with at least one real token; the number of
    padded tokens cycles 0, 1, 2, ... over the sequences (capped at L - 1).
    """
    x = rng.standard_normal((n, L, d))
    if pad != "none" and L > 1:
        for i in range(n):
            k = min(i % 3, L - 1)  # 0, 1, 2, 0, ... padded tokens
            if k == 0:
                continue
            if pad == "trail":
                x[i, L - k:] = np.nan
            elif pad == "pre":
                x[i, :k] = np.nan
            else:
                raise ValueError(pad)
    return x


# --------------------------------------------------------------------------- kernel cases

# (name, params, options). options: L (5), n1 (4), n2 (3), d (3),
# pad ("trail" / "none" / "pre"), x2 (True; False means X2=None).
KERNEL_CASES = [
    # defaults and input-shape variants
    ("default", {}, {}),
    ("default_nopad", {}, dict(pad="none")),
    ("default_x2none", {}, dict(x2=False)),
    ("default_L1", {}, dict(L=1, pad="none")),
    ("default_L6_prepad", {}, dict(L=6, pad="pre")),
    # attention mechanisms and scalings
    ("attn_identity", dict(attention="identity"), {}),
    ("attn_relu", dict(attention="relu"), {}),
    ("attn_abs", dict(attention="abs"), dict(L=3)),
    ("attn_identity_sqrt", dict(attention="identity", scaling="sqrt"), {}),
    ("attn_identity_sqrt_x2none",
     dict(attention="identity", scaling="sqrt", layer_norm="pre"), dict(x2=False)),
    ("attn_relu_x2none", dict(attention="relu", n_blocks=1), dict(x2=False, L=6)),
    # positional embeddings
    ("pos_sum", dict(positional="sum"), {}),
    ("pos_concat", dict(positional="concat"), {}),
    ("pos_sum_valpos", dict(positional="sum", val_pos_emb=True), {}),
    ("pos_concat_valpos", dict(positional="concat", val_pos_emb=True), {}),
    ("pos_sum_exp", dict(positional="sum", pos_decay="exp", pos_scale=2.0), {}),
    ("pos_sum_inverse_p1",
     dict(positional="sum", pos_decay="inverse", pos_scale=0.5, pos_p_norm=1), dict(L=6)),
    ("pos_concat_exp_p1_valpos",
     dict(positional="concat", pos_decay="exp", pos_scale=1.5, pos_p_norm=1,
          val_pos_emb=True), {}),
    ("pos_concat_inverse", dict(positional="concat", pos_decay="inverse", pos_scale=3.0), {}),
    ("pos_sum_std", dict(positional="sum", pos_std=0.5, n_blocks=1), {}),
    ("pos_concat_std_x2none", dict(positional="concat", pos_std=2.0, pos_decay="exp"),
     dict(x2=False)),
    ("pos_identity_sqrt_sum_valpos",
     dict(attention="identity", scaling="sqrt", positional="sum", val_pos_emb=True), {}),
    ("pos_identity_sqrt_concat",
     dict(attention="identity", scaling="sqrt", positional="concat", pos_decay="inverse",
          pos_scale=2.0), {}),
    ("pos_relu_attn_sum_exp",
     dict(attention="relu", positional="sum", pos_decay="exp", pos_scale=0.7), {}),
    ("pos_abs_attn_concat_p1",
     dict(attention="abs", positional="concat", pos_decay="inverse", pos_p_norm=1,
          val_pos_emb=True), {}),
    ("pos_sum_exp_prepad", dict(positional="sum", pos_decay="exp", pos_scale=2.0),
     dict(pad="pre", L=6)),
    ("pos_concat_L1", dict(positional="concat", pos_decay="exp"), dict(L=1, pad="none")),
    ("pos_sum_nopad", dict(positional="sum", pos_decay="inverse", val_pos_emb=True),
     dict(pad="none")),
    # layer norm placement
    ("ln_pre", dict(layer_norm="pre"), {}),
    ("ln_none", dict(layer_norm="none"), {}),
    ("ln_pre_attn_identity", dict(layer_norm="pre", attention="identity"), {}),
    ("ln_none_pos_sum", dict(layer_norm="none", positional="sum", n_blocks=1), {}),
    # activations
    ("act_erf", dict(activation="erf"), {}),
    ("act_gelu", dict(activation="gelu"), {}),
    ("act_identity", dict(activation="identity"), {}),
    ("act_erf_ln_pre", dict(activation="erf", layer_norm="pre"), dict(L=3)),
    ("act_gelu_ln_none", dict(activation="gelu", layer_norm="none"), {}),
    # residual / mlp
    ("noresid_post", dict(residual=False), {}),
    ("noresid_pre", dict(residual=False, layer_norm="pre"), {}),
    ("noresid_none", dict(residual=False, layer_norm="none", n_blocks=1), {}),
    ("nomlp", dict(mlp=False), {}),
    ("nomlp_ln_pre", dict(mlp=False, layer_norm="pre", n_blocks=3), {}),
    ("nomlp_noresid", dict(mlp=False, residual=False), {}),
    # depth
    ("blocks0", dict(n_blocks=0), {}),
    ("blocks0_x2none", dict(n_blocks=0, w_std=1.3, b_std=0.2), dict(x2=False)),
    ("blocks1", dict(n_blocks=1), {}),
    ("blocks3", dict(n_blocks=3), dict(L=3)),
    # weight / bias scales
    ("w_std", dict(w_std=1.5), {}),
    ("b_std", dict(b_std=0.3), {}),
    ("qk_std", dict(qk_std=2.0), {}),
    ("ov_std", dict(ov_std=0.7), {}),
    ("stds_ln_pre", dict(layer_norm="pre", w_std=0.8, b_std=0.5, qk_std=1.5, ov_std=1.2), {}),
    ("stds_ln_none_identity",
     dict(layer_norm="none", attention="identity", w_std=1.2, b_std=0.1, qk_std=0.5,
          ov_std=0.9), {}),
    # combinations
    ("combo_relu_gelu_concat",
     dict(attention="relu", activation="gelu", layer_norm="none", positional="concat",
          pos_decay="exp", pos_scale=2.5, b_std=0.2, n_blocks=1), {}),
    ("combo_abs_erf_pre_sum",
     dict(attention="abs", activation="erf", layer_norm="pre", positional="sum",
          pos_decay="inverse", pos_p_norm=1, qk_std=1.3, ov_std=0.8, n_blocks=3), dict(L=3)),
    ("combo_sqrt_identity_act",
     dict(attention="identity", scaling="sqrt", activation="identity", residual=False,
          layer_norm="none", b_std=0.1), dict(pad="pre")),
    ("combo_softmax_nomlp_pos_x2none",
     dict(mlp=False, positional="sum", val_pos_emb=True, qk_std=3.0, b_std=0.4),
     dict(x2=False, L=6)),
    # a convolutional embedding and pooling before the blocks
    ("embed_conv3", dict(filter_size=3, b_std=0.2), dict(L=6)),
    ("pool2_conv3_pos", dict(filter_size=3, pool=2, positional="sum", pos_decay="exp"),
     dict(L=9)),
    ("pool3_x2none", dict(pool=3, n_blocks=1, layer_norm="pre"), dict(L=10, x2=False)),
]


def kernel_fixture():
    out = {}
    names = []
    failed = []
    for name, params, opts in KERNEL_CASES:
        assert name not in names, name
        rng = _rng(name)
        L = opts.get("L", 5)
        d = opts.get("d", 3)
        pad = opts.get("pad", "trail")
        x1 = make_inputs(rng, opts.get("n1", 4), L, d, pad)
        x2 = make_inputs(rng, opts.get("n2", 3), L, d, pad) if opts.get("x2", True) else None
        try:
            _, _, kernel_fn = build(params)
            k = kernel_fn(x1, x2, ("nngp", "ntk"), mask_constant=np.nan)
            nngp = np.asarray(k.nngp, np.float64)
            ntk = np.asarray(k.ntk, np.float64)
        except Exception as e:  # noqa: BLE001 - report and drop the case
            failed.append((name, f"{type(e).__name__}: {e}"))
            continue
        n2 = x1.shape[0] if x2 is None else x2.shape[0]
        assert nngp.shape == ntk.shape == (x1.shape[0], n2), (name, nngp.shape)
        if not (np.all(np.isfinite(nngp)) and np.all(np.isfinite(ntk))):
            failed.append((name, "non-finite kernel"))
            continue
        names.append(name)
        out[f"{name}/params"] = np.array(json.dumps(params, sort_keys=True))
        out[f"{name}/x1"] = x1
        if x2 is not None:
            out[f"{name}/x2"] = x2
        out[f"{name}/nngp"] = nngp
        out[f"{name}/ntk"] = ntk
        print(f"  {name:34s} nngp[0,0]={nngp[0, 0]: .6f} ntk[0,0]={ntk[0, 0]: .6f}")
    out["cases"] = np.array(names)
    return out, failed


# --------------------------------------------------------------------------- layer cases

# A layer spec is a JSON list of [name, kwargs] in skattn's terms; the tests build
# the same network from skattn.kernels (tests/test_nt_layers.py). Names: "dense",
# "conv" (Conv1D), "avgpool" (AvgPool1D), "attention" (SelfAttention), "layernorm",
# "gap" (GlobalAvgPool), an activation of ACTIVATIONS, and "residual" ({"layers": spec}).
# The spec "paper_imdb" is the network of neural-tangents' examples/imdb.py, built
# here literally (decay fn 1 / (1 + d**2) of d = |s - t|**2) and in the tests by
# skattn.kernels.paper_imdb().


def layer(name, kw):
    """One stax layer from a spec entry."""
    if name == "dense":
        return stax.Dense(1, W_std=kw.get("w_std", 1.0), b_std=kw.get("b_std", 0.0))
    if name == "conv":
        return stax.Conv(1, (kw.get("filter_size", 3),), (kw.get("stride", 1),),
                         kw.get("padding", "valid").upper(), W_std=kw.get("w_std", 1.0),
                         b_std=kw.get("b_std", 0.0))
    if name == "avgpool":
        window = kw.get("window", 2)
        stride = kw.get("stride") or window  # skattn's None is the window
        return stax.AvgPool((window,), (stride,), kw.get("padding", "valid").upper())
    if name == "attention":
        return attention(kw)
    if name == "layernorm":
        return stax.LayerNorm(axis=-1)
    if name == "gap":
        return stax.GlobalAvgPool()
    if name == "residual":
        return stax.serial(stax.FanOut(2), stax.parallel(stax.Identity(), layers(kw["layers"])),
                           stax.FanInSum())
    return ACTIVATIONS[name]()


def layers(spec):
    if spec == "paper_imdb":
        return stax.serial(
            stax.Conv(out_chan=1, filter_shape=(9,), strides=(1,), padding="VALID"),
            stax.Relu(),
            stax.GlobalSelfAttention(
                n_chan_out=1, n_chan_key=1, n_chan_val=1, pos_emb_type="SUM",
                W_pos_emb_std=1., pos_emb_decay_fn=lambda d: 1 / (1 + d**2), n_heads=1),
            stax.Relu(),
            stax.GlobalAvgPool(),
            stax.Dense(out_dim=1))
    return stax.serial(*(layer(name, kw) for name, kw in spec))


def ragged_inputs(rng, lengths, L, d, pad="trail"):
    """Normal inputs (len(lengths), L, d) with ``lengths[i]`` real tokens each."""
    x = rng.standard_normal((len(lengths), L, d))
    for i, n in enumerate(lengths):
        if pad == "trail":
            x[i, n:] = np.nan
        else:
            x[i, :L - n] = np.nan
    return x


HEAD = [["gap", {}], ["dense", {}]]
ATTN_SUM = ["attention", dict(positional="sum", pos_decay="exp", pos_scale=2.0)]

# (name, spec, options). options: L (8), n1 (4), n2 (3), d (3), pad ("trail" /
# "none" / "pre"), x2 (True), lengths1 / lengths2 (ragged lengths, else the padding
# cycle of make_inputs), mask (True; False calls NT without mask_constant).
LAYER_CASES = [
    # Conv1D alone, before a nonlinearity and the readout
    ("conv_valid", [["conv", {}], ["relu", {}], *HEAD], {}),
    ("conv_valid_x2none", [["conv", dict(filter_size=4)], ["relu", {}], *HEAD],
     dict(x2=False)),
    ("conv_same_stds", [["conv", dict(filter_size=5, padding="same", w_std=1.3, b_std=0.2)],
                        ["relu", {}], *HEAD], {}),
    ("conv_circular", [["conv", dict(padding="circular", b_std=0.3)], ["erf", {}], *HEAD], {}),
    ("conv_valid_stride2", [["conv", dict(stride=2)], ["relu", {}], *HEAD], dict(L=9)),
    ("conv_same_stride3", [["conv", dict(filter_size=4, stride=3, padding="same")],
                           ["relu", {}], *HEAD], {}),
    ("conv_circular_stride2_prepad",
     [["conv", dict(filter_size=2, stride=2, padding="circular")], ["relu", {}], *HEAD],
     dict(pad="pre")),
    ("conv_filter1", [["conv", dict(filter_size=1, w_std=0.8, b_std=0.5)], ["gelu", {}], *HEAD],
     {}),
    ("conv_linear_ntk", [["dense", {}], ["conv", dict(padding="same")], *HEAD], {}),
    # AvgPool1D alone
    ("pool_valid", [["dense", {}], ["avgpool", {}], ["relu", {}], *HEAD], {}),
    ("pool_same_stride1", [["dense", dict(b_std=0.4)], ["avgpool", dict(window=3, stride=1,
                                                                      padding="same")],
                           ["relu", {}], *HEAD], {}),
    ("pool_valid_stride2_x2none", [["dense", {}], ["avgpool", dict(window=3, stride=2)],
                                   ["relu", {}], *HEAD], dict(x2=False, L=9)),
    ("pool_same_stride2_prepad", [["dense", {}], ["avgpool", dict(window=2, padding="same")],
                                  ["erf", {}], *HEAD], dict(pad="pre", L=7)),
    ("pool_circular_nopad", [["dense", {}], ["avgpool", dict(window=3, stride=2,
                                                            padding="circular")],
                             ["relu", {}], *HEAD], dict(pad="none", mask=False)),
    ("pool_after_relu", [["dense", {}], ["relu", {}], ["avgpool", dict(window=4, stride=2)],
                         ["dense", {}], ["relu", {}], *HEAD], dict(L=10)),
    # inside attention networks: the attention right after the linear layers
    # (skattn's token-feature path), and after nonlinear ones
    ("conv_attention", [["dense", {}], ["conv", dict(padding="same", b_std=0.2)], ATTN_SUM,
                        ["relu", {}], *HEAD], dict(L=12, d=2)),
    ("pool_attention", [["dense", {}], ["avgpool", {}], ["attention", {}], ["relu", {}], *HEAD],
     dict(L=12)),
    ("conv_pool_attention_x2none",
     [["conv", dict(filter_size=3, padding="same")], ["avgpool", dict(window=2)],
      ["attention", dict(attention="relu", positional="concat")], ["relu", {}], *HEAD],
     dict(L=12, d=2, x2=False)),
    ("attention_conv_pool", [["dense", {}], ATTN_SUM, ["relu", {}],
                             ["conv", dict(filter_size=3, stride=2, padding="same")],
                             ["relu", {}], ["avgpool", dict(window=2, stride=1)], *HEAD], {}),
    ("pool_transformer",
     [["dense", {}], ["avgpool", dict(window=2)],
      ["residual", {"layers": [["attention", dict(positional="sum")]]}], ["layernorm", {}],
      ["residual", {"layers": [["dense", {}], ["relu", {}], ["dense", {}]]}],
      ["layernorm", {}], *HEAD], dict(L=10, lengths1=[10, 7, 4, 1], lengths2=[3, 10, 6])),
    ("conv_transformer_prepad",
     [["conv", dict(filter_size=3, padding="same", b_std=0.1)],
      ["residual", {"layers": [["attention", {}]]}], ["layernorm", {}],
      ["residual", {"layers": [["dense", {}], ["gelu", {}], ["dense", {}]]}],
      ["layernorm", {}], *HEAD], dict(L=9, pad="pre")),
    # the paper authors' IMDb network (neural-tangents examples/imdb.py) at L=50
    ("paper_imdb", "paper_imdb", dict(L=50, d=5, lengths1=[50, 31, 17, 9],
                                      lengths2=[12, 50, 40])),
    ("paper_imdb_x2none", "paper_imdb", dict(L=50, d=5, x2=False,
                                             lengths1=[23, 50, 9, 44, 30])),
]


def layers_fixture():
    out = {}
    names = []
    for name, spec, opts in LAYER_CASES:
        assert name not in names, name
        rng = _rng("layers/" + name)
        L, d, pad = opts.get("L", 8), opts.get("d", 3), opts.get("pad", "trail")

        def inputs(side, n):
            if f"lengths{side}" in opts:
                return ragged_inputs(rng, opts[f"lengths{side}"], L, d, pad)
            return make_inputs(rng, n, L, d, pad)

        x1 = inputs(1, opts.get("n1", 4))
        x2 = inputs(2, opts.get("n2", 3)) if opts.get("x2", True) else None
        _, _, kernel_fn = layers(spec)
        masking = dict(mask_constant=np.nan) if opts.get("mask", True) else {}
        k = kernel_fn(x1, x2, ("nngp", "ntk"), **masking)
        nngp, ntk = np.asarray(k.nngp, np.float64), np.asarray(k.ntk, np.float64)
        n2 = x1.shape[0] if x2 is None else x2.shape[0]
        assert nngp.shape == ntk.shape == (x1.shape[0], n2), (name, nngp.shape)
        assert np.all(np.isfinite(nngp)) and np.all(np.isfinite(ntk)), name
        names.append(name)
        out[f"{name}/spec"] = np.array(json.dumps(spec, sort_keys=True))
        out[f"{name}/x1"] = x1
        if x2 is not None:
            out[f"{name}/x2"] = x2
        out[f"{name}/nngp"] = nngp
        out[f"{name}/ntk"] = ntk
        print(f"  {name:34s} nngp[0,0]={nngp[0, 0]: .6f} ntk[0,0]={ntk[0, 0]: .6f}")
    out["cases"] = np.array(names)
    return out


# --------------------------------------------------------------------------- predict cases

# (name, params, pad, n_outputs)
PREDICT_CASES = [
    ("default", {}, "none", 2),
    ("pos_sum_1block", dict(positional="sum", n_blocks=1), "none", 2),
    ("identity_ln_pre", dict(attention="identity", layer_norm="pre"), "none", 1),
    ("default_padded", {}, "trail", 2),
]
N_TRAIN, N_TEST, PRED_L, PRED_D = 10, 4, 4, 3
ALPHA, T = 1e-4, 3.0


def _to_sentinel(x):
    return np.where(np.isnan(x), SENTINEL, x)


def predict_fixture():
    out = {}
    names = []
    for name, params, pad, k_out in PREDICT_CASES:
        rng = _rng("predict/" + name)
        x_train = make_inputs(rng, N_TRAIN, PRED_L, PRED_D, pad)
        x_test = make_inputs(rng, N_TEST, PRED_L, PRED_D, pad)
        y_train = rng.standard_normal((N_TRAIN, k_out))
        _, _, kernel_fn = build(params)
        xtr, xte = _to_sentinel(x_train), _to_sentinel(x_test)
        pred = predict.gradient_descent_mse_ensemble(
            kernel_fn, xtr, y_train, learning_rate=1.0, diag_reg=ALPHA,
            diag_reg_absolute_scale=True, trace_axes=(-1,), mask_constant=SENTINEL)

        res = {}
        for get in ("nngp", "ntk"):
            m, c = pred(t=None, x_test=xte, get=get, compute_cov=True)
            res[f"{get}_mean_inf"], res[f"{get}_cov_inf"] = np.asarray(m), np.asarray(c)
            m, c = pred(t=T, x_test=xte, get=get, compute_cov=True)
            res[f"{get}_mean_t"], res[f"{get}_cov_t"] = np.asarray(m), np.asarray(c)
        for key, v in res.items():
            want = (N_TEST, k_out) if "mean" in key else (N_TEST, N_TEST)
            assert v.shape == want and np.all(np.isfinite(v)), (name, key, v.shape)

        _check_predict(name, kernel_fn, x_train, x_test, y_train, res)

        names.append(name)
        out[f"{name}/params"] = np.array(json.dumps(params, sort_keys=True))
        out[f"{name}/x_train"] = x_train
        out[f"{name}/y_train"] = y_train
        out[f"{name}/x_test"] = x_test
        out[f"{name}/alpha"] = np.array(ALPHA)
        out[f"{name}/t"] = np.array(T)
        out[f"{name}/nngp_mean"] = res["nngp_mean_inf"]
        out[f"{name}/nngp_cov"] = res["nngp_cov_inf"]
        for key, v in res.items():
            out[f"{name}/{key}"] = v
    out["cases"] = np.array(names)
    return out


def _check_predict(name, kernel_fn, x_train, x_test, y, res):
    """Re-derive NT's posteriors with numpy from NT's own kernels (NaN masks)."""
    kdd = kernel_fn(x_train, None, ("nngp", "ntk"), mask_constant=np.nan)
    ktd = kernel_fn(x_test, x_train, ("nngp", "ntk"), mask_constant=np.nan)
    ktt = np.asarray(kernel_fn(x_test, None, "nngp", mask_constant=np.nan))
    # The sentinel and NaN masks must give identical kernels.
    kdd_s = kernel_fn(_to_sentinel(x_train), None, ("nngp", "ntk"), mask_constant=SENTINEL)
    assert np.allclose(kdd_s.ntk, kdd.ntk, rtol=1e-12, atol=1e-12), name

    N = y.size
    I = np.eye(len(y))
    Kdd_nngp, Kdd_ntk = np.asarray(kdd.nngp), np.asarray(kdd.ntk)
    Ktd_nngp, Ktd_ntk = np.asarray(ktd.nngp), np.asarray(ktd.ntk)
    errs = {}

    def check(key, val):
        ref = res[key]
        errs[key] = float(np.max(np.abs(val - ref)) / max(1.0, np.max(np.abs(ref))))

    # t = inf
    A = Kdd_nngp + ALPHA * I
    check("nngp_mean_inf", Ktd_nngp @ np.linalg.solve(A, y))
    check("nngp_cov_inf", ktt - Ktd_nngp @ np.linalg.solve(A, Ktd_nngp.T))
    B = Kdd_ntk + ALPHA * I
    Binv_Kdt = np.linalg.solve(B, Ktd_ntk.T)  # (n_train, n_test)
    check("ntk_mean_inf", Ktd_ntk @ np.linalg.solve(B, y))
    term2 = Ktd_ntk @ np.linalg.solve(B, Ktd_nngp.T)
    check("ntk_cov_inf", ktt + Binv_Kdt.T @ Kdd_nngp @ Binv_Kdt - term2 - term2.T)

    # finite t: rate divided by y_train.size
    for get, K, Ktd in (("nngp", A, Ktd_nngp), ("ntk", B, Ktd_ntk)):
        lam, V = np.linalg.eigh(K)
        f = lambda s: V @ np.diag(-np.expm1(-lam * s / N) / lam) @ V.T  # noqa: E731
        check(f"{get}_mean_t", Ktd @ f(T) @ y)
        if get == "nngp":
            check("nngp_cov_t", ktt - Ktd @ f(2 * T) @ Ktd.T)
        else:
            M = Ktd @ f(T)  # (n_test, n_train)
            t2 = M @ Ktd_nngp.T
            check("ntk_cov_t", ktt + M @ Kdd_nngp @ M.T - t2 - t2.T)
    worst = max(errs.values())
    print(f"  {name:20s} max rel. deviation from numpy re-derivation: {worst:.2e}")
    assert worst < 1e-8, errs


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = argv[1] if len(argv) > 1 else os.path.join(here, os.pardir, "tests", "data")
    out_dir = os.path.normpath(out_dir)
    os.makedirs(out_dir, exist_ok=True)

    print("kernel cases:")
    kern, failed = kernel_fixture()
    for name, why in failed:
        print(f"  DROPPED {name}: {why}")
    print("layer cases:")
    lay = layers_fixture()
    print("predict cases:")
    pred = predict_fixture()

    for fname, arrays in (("nt_reference.npz", kern), ("nt_layers_reference.npz", lay),
                          ("nt_predict_reference.npz", pred)):
        path = os.path.join(out_dir, fname)
        np.savez_compressed(path, **arrays)
        print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(arrays['cases'])} cases)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
