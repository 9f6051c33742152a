"""Comptes de travail de DalleBart v0 en génération (octets lus par pas, FLOP), tirés de l'arbre des paramètres."""
from flax import traverse_util

from dalle_mini_nb.model import DalleBart, DalleBartConfig


def work(config: DalleBartConfig | None = None, text_length: int = 128, itemsize: int = 4) -> dict:
    """Octets de poids lus par pas (lot de 1) et FLOP de l'encodeur, des K/V croisées et d'un pas (par ligne).

    Un pas lit tout le décodeur sauf les noyaux k/v de l'attention croisée (calculés une fois par prompt) et
    les tables de plongements (une ligne), plus `lm_head`. FLOP = 2 × (paramètres multipliés) par jeton,
    plus l'attention (auto-attention sur les S positions du cache, attention croisée sur les L jetons).
    """
    c = config or DalleBartConfig.v0()
    flat = traverse_util.flatten_dict(DalleBart.abstract_params(c), sep="/")
    size = lambda p: flat[p].size
    cross_kv = [p for p in flat if "encoder_attn/k_proj" in p or "encoder_attn/v_proj" in p]
    dec = [p for p in flat if p.startswith("model/decoder/layers/") and p not in cross_kv]
    step_params = sum(map(size, dec)) + size("lm_head/kernel") + size("final_logits_bias")
    step_mm = sum(size(p) for p in dec if p.endswith("kernel")) + size("lm_head/kernel")
    enc_mm = sum(size(p) for p in flat if p.startswith("model/encoder/layers/") and p.endswith("kernel"))
    D, L, S, n = c.d_model, text_length, c.image_length, c.decoder_layers
    attn_step = n * 2 * 2 * D * (S + L)  # scores + somme pondérée, auto (S) et croisée (L)
    return {"bytes_per_step": step_params * itemsize,
            "step_flops": 2 * step_mm + attn_step,
            "encoder_flops": 2 * enc_mm * L + c.encoder_layers * 2 * 2 * L * L * D,
            "cross_kv_flops": 2 * sum(flat[p].size for p in cross_kv if p.endswith("kernel")) * L,
            "image_length": S}


def flops_per_image(w: dict, n_candidates: int) -> float:
    "FLOP nécessaires par image pour `n_candidates` candidats d'un prompt (encodeur et K/V croisées partagés)."
    return (w["encoder_flops"] + w["cross_kv_flops"]) / n_candidates + w["image_length"] * w["step_flops"]
