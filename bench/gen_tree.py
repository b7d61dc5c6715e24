"""Generates a source tree for scripts/bench-scan: FILES files in nested directories, mostly
ordinary code, some with environment reads and service addresses (a few of them drifted)."""
import os
import random
import sys

root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
services = ["orchestrator", "context", "planning", "ray-executor", "nats", "valkey", "neo4j"]
bodies = [
    "def handler(event):\n    total = 0\n    for item in event['items']:\n        total += item['price'] * item['qty']\n    return total\n",
    "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n",
    "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
    "fn main() {\n    let v: Vec<u32> = (0..10).collect();\n    println!(\"{:?}\", v);\n}\n",
]
for i in range(count):
    d = os.path.join(root, "src", f"pkg{i // 1000:03d}", f"mod{(i // 100) % 10}")
    os.makedirs(d, exist_ok=True)
    ext = [".py", ".go", ".ts", ".rs"][i % 4]
    text = bodies[i % 4] * rng.randint(5, 15)
    roll = rng.random()
    if roll < 0.05:
        svc = rng.choice(services)
        text += f'ADDR = os.getenv("{svc.upper().replace("-", "_")}_ADDRESS", "{svc}.swe-ai-fleet.svc.cluster.local:{rng.choice([50051, 50055, 4222, 6379])}")\n'
    elif roll < 0.08:
        text += f"MAX_ITEMS = {rng.randint(1000, 60000)}\n"
    with open(os.path.join(d, f"file{i}{ext}"), "w") as f:
        f.write(text)
