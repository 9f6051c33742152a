"""Outils communs aux bancs d'essai : plafonds de la machine, mémoire, charge, processus « travailleurs ».

Ce module n'importe ni `dalle_mini_nb` ni `transformers` : il sert aussi bien dans le venv du projet
que dans le venv du banc de référence (`bench/requirements-baseline.txt`).

Protocole des travailleurs : un sous-processus prépare son modèle (poids, compilation, une exécution
de chauffe), écrit une ligne JSON `{"ready": …}`, puis lit des commandes ligne à ligne sur stdin
(`run` → une exécution chronométrée, `quit` → bilan mémoire) et répond par une ligne JSON chacune.
L'orchestrateur alterne les exécutions de deux travailleurs (le nôtre, la référence) : ils subissent
la même charge de la machine, et le rapport de leurs médianes est la mesure qui compte.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MAIN_PY = sys.executable  # le python du projet (celui qui lance l'orchestrateur)
BASELINE_PY = os.environ.get("BENCH_BASELINE_PY", os.path.join(REPO, ".benchenv", "bin", "python"))  # venv de la référence


def load_avg() -> float:
    "Charge moyenne sur 1 min."
    return round(os.getloadavg()[0], 2)


def peak_rss_mb() -> float:
    "Pic de mémoire résidente du processus (Mio), depuis son démarrage."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_cpu() -> float:
    "Temps processeur (utilisateur + système) des processus enfants terminés, en secondes."
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def rss_mb() -> float:
    "Mémoire résidente actuelle du processus (Mio)."
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s() -> float:
    "Temps CPU (utilisateur + système) du processus depuis son démarrage, tous fils confondus (s)."
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime


def machine() -> dict:
    "Processeur, cœurs, mémoire, date."
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) / 2**20
    return {"cpu": model, "cores": os.cpu_count(), "mem_gib": round(mem, 1), "date": time.strftime("%Y-%m-%d %H:%M")}


def median(xs): return float(statistics.median(xs))


def timed_runs(fn, repeat: int) -> list:
    "Durées (s) de `repeat` appels de `fn()` (qui doit bloquer jusqu'au résultat)."
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return out


# --- plafonds mesurés -------------------------------------------------------------------------

def probes(repeat: int = 5, stream_mb: int = 800) -> dict:
    """Plafonds de la machine, mesurés maintenant : flux de poids (GB/s) et produit matriciel float32 (GFLOP/s).

    - `stream_gbps` : somme (XLA) d'un tableau float32 de `stream_mb` Mo, bien plus gros que le cache : le
      débit mémoire qu'un programme XLA peut tirer d'un cœur de cette machine ;
    - `matvec_gbps` : une chaîne de produits vecteur × matrice (1, 1024) @ (1024, 1024) sur les mêmes
      octets : ce que le `dot` d'XLA tire de la mémoire pour un lot de 1 (la forme d'un pas de génération) ;
    - `matmul_gflops` : (2048, 2048) @ (2048, 2048) float32 ;
    - `matmul8_gflops` : la chaîne précédente avec 8 lignes, (8, 1024) @ (1024, 1024) : ce que le `dot`
      d'XLA tire du calcul pour la forme d'un pas à 8 candidats.
    Chaque chiffre est la médiane de `repeat` mesures après une chauffe.
    """
    import jax, jax.numpy as jnp
    from jax import lax
    n = stream_mb // 4
    W = jnp.asarray(np.random.default_rng(0).standard_normal((n, 1024, 1024), dtype=np.float32) * 0.02)
    x = jnp.ones((1, 1024), jnp.float32)
    total = jax.jit(jnp.sum)
    chain = jax.jit(lambda W, x: lax.fori_loop(0, W.shape[0], lambda i, x: jnp.tanh(x @ W[i]), x))
    x8 = jnp.ones((8, 1024), jnp.float32)  # 8 lignes : la forme d'un pas à 8 candidats
    A = jnp.asarray(np.random.default_rng(1).standard_normal((2048, 2048), dtype=np.float32))
    mm = jax.jit(lambda a: a @ a)
    out = {"load_avg_1min": load_avg()}
    for name, f, args, work in [("stream_gbps", total, (W,), W.nbytes / 1e9), ("matvec_gbps", chain, (W, x), W.nbytes / 1e9),
                                ("matmul_gflops", mm, (A,), 2 * 2048**3 / 1e9),
                                ("matmul8_gflops", chain, (W, x8), 2 * 8 * W.size / 1e9)]:
        jax.block_until_ready(f(*args))
        ts = timed_runs(lambda: jax.block_until_ready(f(*args)), repeat)
        out[name] = round(work / median(ts), 2)
    return out



def matmul_probe(n: int = 2048, seed: int = 1):
    "Produit float32 (n, n) @ (n, n) compilé et chauffé ; `probe(reps)` rend ses GFLOP/s maintenant (médiane de `reps`)."
    import jax, jax.numpy as jnp
    A = jnp.asarray(np.random.default_rng(seed).standard_normal((n, n), dtype=np.float32))
    mm = jax.jit(lambda a: a @ a)
    jax.block_until_ready(mm(A))
    return lambda reps=1: 2 * n**3 / median(timed_runs(lambda: jax.block_until_ready(mm(A)), reps)) / 1e9


def runs_beside_peak(call, reps: int, probe, probe_reps: int = 1) -> tuple[float, list, list, list]:
    "Premier appel de `call` (compilation), puis `reps` tours : plafond `probe(probe_reps)`, charge, appel chronométré."
    first = timed_runs(call, 1)[0]
    times, peaks, loads = [], [], []
    for _ in range(reps):
        peaks.append(probe(probe_reps)); loads.append(load_avg()); times += timed_runs(call, 1)
    return first, times, peaks, loads


def compiled_flops(fn, *args) -> float:
    "FLOP de `jax.jit(fn)(*args)` selon l'analyse de coût d'XLA (nan si elle ne les donne pas)."
    import jax
    cost = jax.jit(fn).lower(*args).compile().cost_analysis()
    return float((cost[0] if isinstance(cost, (list, tuple)) else cost).get("flops", float("nan")))

# --- travailleurs ------------------------------------------------------------------------------

def serve(setup):
    """Boucle d'un travailleur : `setup()` rend `(run, info)` ; `run()` fait une exécution complète (bloquante)
    et rend un dict facultatif de mesures en plus de la durée."""
    t = time.perf_counter()
    run, info = setup()
    info = {**info, "setup_s": round(time.perf_counter() - t, 2), "rss_after_setup_mb": round(rss_mb(), 1),
            "peak_rss_after_setup_mb": round(peak_rss_mb(), 1)}
    print(json.dumps({"ready": info}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            print(json.dumps({"peak_rss_mb": round(peak_rss_mb(), 1), "rss_mb": round(rss_mb(), 1)}), flush=True); return
        la, c = load_avg(), cpu_s(); t = time.perf_counter(); extra = run(**cmd.get("kw", {})) or {}
        print(json.dumps({"s": time.perf_counter() - t, "cpu_s": cpu_s() - c, "load_avg_1min": la, **extra}), flush=True)


class Worker:
    "Un travailleur lancé avec `python` (le venv choisi) : `run()` → une mesure, `quit()` → bilan mémoire."

    def __init__(self, python: str, script: str, args: list, nice: int = 5, env: dict | None = None):
        cmd = ["nice", "-n", str(nice), python, os.path.join(HERE, script), *map(str, args)]
        env = {**os.environ, **(env or {}), "PYTHONPATH": REPO}
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
        self.ready = self._read()["ready"]

    def _read(self) -> dict:
        while True:
            line = self.p.stdout.readline()
            if not line: raise RuntimeError(f"le travailleur {self.p.args} s'est arrêté (code {self.p.wait()})")
            if line.startswith("{"): return json.loads(line)

    def run(self, **kw) -> dict:
        self.p.stdin.write(json.dumps({"cmd": "run", "kw": kw}) + "\n"); self.p.stdin.flush(); return self._read()

    def quit(self) -> dict:
        self.p.stdin.write(json.dumps({"cmd": "quit"}) + "\n"); self.p.stdin.flush()
        out = self._read(); self.p.wait(); return out


def interleave(workers: dict, repeat: int, kw: dict | None = None) -> dict:
    "`repeat` tours ; à chaque tour une exécution de chaque travailleur, l'ordre alterné d'un tour à l'autre."
    names, runs = list(workers), {k: [] for k in workers}
    for r in range(repeat):
        for name in (names if r % 2 == 0 else names[::-1]):
            runs[name].append(workers[name].run(**(kw or {}).get(name, {})))
            print(f"    tour {r + 1} {name} : {runs[name][-1]['s']:.2f} s (charge {runs[name][-1]['load_avg_1min']})", file=sys.stderr, flush=True)
    return runs


def random_like(shapes, seed: int = 0, std: float = 0.02, dtype="float32"):
    """Arbre de tableaux JAX aux formes de `shapes` (arbre d'objets à `.shape`), au type `dtype` : noyaux et
    plongements ~ normal(std), `scale` à 1, biais à 0. Tiré par numpy feuille par feuille (sans
    compilation, sans garder de copie numpy : le pic de mémoire reste celui des paramètres)."""
    import jax, jax.numpy as jnp
    rng = np.random.default_rng(seed)
    def fill(path, s):
        name = str(getattr(path[-1], "key", path[-1]))
        if name == "scale": x = np.ones(s.shape, np.float32)
        elif "bias" in name: x = np.zeros(s.shape, np.float32)
        else: x = rng.standard_normal(s.shape, dtype=np.float32); x *= std
        return jnp.asarray(x, dtype)
    return jax.tree_util.tree_map_with_path(fill, shapes)


def tree_bytes(tree) -> int:
    "Octets d'un arbre de tableaux."
    import jax
    return int(sum(x.size * x.dtype.itemsize for x in jax.tree_util.tree_leaves(tree)))
