//! values.schema.json: `helm install`, `helm template` and `helm lint` reject a mistyped value
//! (`replicas: "three"`, an unknown workload kind, a NodePort outside 30000–32767).

use serde_json::{Value, json};

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

fn object_or_null() -> Value {
    json!({"type": ["object", "null"]})
}

fn string_map() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string"}})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn service() -> Value {
    json!({
        "type": "object",
        "required": ["enabled", "namespace", "workload", "image", "ports", "env"],
        "additionalProperties": false,
        "properties": {
            "enabled": {"type": "boolean"},
            "description": nullable("string"),
            "namespace": {"type": "string", "minLength": 1},
            "workload": {"enum": ["deployment", "statefulset", "daemonset", "job", "cronjob"]},
            "image": {"type": "string", "minLength": 1},
            "replicas": {"type": ["integer", "null"], "minimum": 0},
            "schedule": nullable("string"),
            "command": strings(),
            "args": strings(),
            "ports": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "port", "servicePort"],
                    "additionalProperties": false,
                    "properties": {
                        "name": {"type": "string", "maxLength": 15},
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "servicePort": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "nodePort": {"type": ["integer", "null"], "minimum": 30000, "maximum": 32767}
                    }
                }
            },
            "env": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": false,
                    "properties": {
                        "name": {"type": "string"},
                        "value": {"type": "string"},
                        "configMapKey": {"type": "string"},
                        "fieldPath": {"type": "string"},
                        "secret": {"type": "string"},
                        "optional": {"type": "boolean"},
                        "key": {"type": "string"}
                    }
                }
            },
            "resources": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "requests": {"type": "object", "additionalProperties": {"type": "string"}},
                    "limits": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            },
            "serviceType": {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "Headless"]},
            "governingService": {"type": "string"},
            "probes": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "startup": object_or_null(),
                    "readiness": object_or_null(),
                    "liveness": object_or_null()
                }
            },
            "labels": string_map(),
            "annotations": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
            "selector": string_map(),
            "podLabels": string_map(),
            "podAnnotations": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
            "containerName": {"type": "string", "minLength": 1},
            "initContainers": {"type": "array", "items": {"type": "object"}},
            "sidecars": {"type": "array", "items": {"type": "object"}},
            "serviceAccount": {
                "type": "object",
                "required": ["name", "create"],
                "additionalProperties": false,
                "properties": {"name": {"type": "string"}, "create": {"type": "boolean"}}
            },
            "automountServiceAccountToken": {"type": "boolean"},
            "podSecurityContext": {"type": "object"},
            "securityContext": {"type": "object"},
            "claims": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "size"],
                    "additionalProperties": false,
                    "properties": {"name": {"type": "string"}, "size": {"type": "string"}}
                }
            },
            "podVolumes": {"type": "array", "items": {"type": "object"}},
            "volumeMounts": {"type": "array", "items": {"type": "object"}},
            "nodeSelector": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
            "tolerations": {"type": ["array", "null"], "items": {"type": "object"}},
            "priorityClassName": nullable("string"),
            "terminationGracePeriodSeconds": {"type": ["integer", "null"], "minimum": 0},
            "ingress": {"type": "array", "items": {"type": "object"}},
            "egress": {"type": ["array", "null"], "items": {"type": "object"}},
            "patched": {"type": ["object", "null"], "additionalProperties": {"type": "object"}},
            "spread": {"type": "boolean"},
            "envFrom": {"type": ["array", "null"], "items": {"type": "object"}},
            "extras": {"type": "array", "items": {"type": "object"}},
            "routes": {"type": ["object", "null"]},
            "serviceMonitor": {"type": ["object", "null"]},
            "autoscaler": {"type": ["object", "null"]},
            "disruptionBudget": {"type": ["object", "null"]}
        }
    })
}

pub fn schema() -> String {
    let doc = json!({
        "$comment": "Code generated by maestroc from platform.kdl. DO NOT EDIT.",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "values of a chart generated by maestroc",
        "type": "object",
        "required": ["global", "namespaces", "ownedNamespaces", "config", "secrets", "services"],
        "additionalProperties": false,
        "properties": {
            "global": {
                "type": "object",
                "required": ["platform", "externalSecrets"],
                "additionalProperties": false,
                "properties": {
                    "platform": {"type": "string"},
                    "storageClass": nullable("string"),
                    "imagePullPolicy": {"enum": ["Always", "IfNotPresent", "Never", null]},
                    "externalSecrets": {"type": "boolean"},
                    "networkPolicies": {"type": "boolean"},
                    "policyTypes": strings()
                }
            },
            "namespaces": strings(),
            "ownedNamespaces": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"podSecurity": {"enum": ["privileged", "baseline", "restricted"]}}
                }
            },
            "config": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "ports": {"type": "object", "additionalProperties": {"type": "string"}},
                    "defaults": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            },
            "secrets": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["keys", "namespaces"],
                    "additionalProperties": false,
                    "properties": {
                        "keys": strings(),
                        "store": {
                            "type": ["object", "null"],
                            "properties": {"name": {"type": "string"}, "path": {"type": "string"}}
                        },
                        "namespaces": strings(),
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "annotations": {"type": "object", "additionalProperties": {"type": "string"}}
                    }
                }
            },
            "services": {"type": "object", "additionalProperties": service()}
        }
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
