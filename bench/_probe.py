"""Mesure les plafonds de la machine dans un processus à part (voir `_harness.probes`) et imprime une ligne JSON."""
import json

from _harness import probes

if __name__ == "__main__":
    print(json.dumps({"ready": probes()}), flush=True)
