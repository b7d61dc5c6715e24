"""Generates a platform.kdl with N services for the benchmarks: four namespaces, chains of
dependencies (fan-out 2), a shared service every tenth one also depends on (fan-in N/10), a few
ports each, secrets, env vars, two environments."""
import sys

n = int(sys.argv[1])
out = ['platform "bench" {', '    namespace "bench"', '    node-ports 30000 32767', '    kubernetes "1.33"', "}", ""]
out += ["defaults {", '    value LOG_LEVEL "info"', '    resources cpu="100m" memory="128Mi" cpu-limit="500m" memory-limit="512Mi"', "}", ""]
out += ['secret "db" {', "    key DB_USER DB_PASSWORD", '    store "vault" path="bench/db"', "}", ""]
for i in range(n):
    out.append(f'service "svc-{i:04d}" {{')
    out.append(f'    namespace "bench-{i % 4}"')
    out.append(f'    image "registry.local/bench/svc-{i:04d}:1.0.{i}"')
    out.append(f"    port http {8000 + i % 1000}")
    out.append(f"    port grpc {20000 + i}")
    if i % 10:
        hub = " svc-0000" if i % 10 == 5 and i > 5 else ""
        out.append(f"    depends-on svc-{i - 1:04d}" + (f" svc-{i - 2:04d}" if i % 10 > 1 else "") + hub)
    out.append('    env DB_PASSWORD secret="db"')
    out.append('    env MODE "serve"')
    out.append('    health http="/healthz" port=http')
    if i % 25 == 0:
        out.append(f"    port admin 9{i % 1000:03d} node-port={30000 + i // 25}")
    out.append("}")
out += ["", 'environment "dev" {', '    storage-class "standard"', '    image-pull-policy "IfNotPresent"', "}"]
out += ['environment "prod" {', '    storage-class "gp3"', '    service "svc-0001" { replicas 3 }', "}"]
print("\n".join(out))
