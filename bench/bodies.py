"""Writes the Flyte-shaped create bodies of `make bench` (issue 15).

Usage: bodies.py OUTDIR [STUBS_DIR]

A create as Flyte's propeller sends it to an agent: a TaskTemplate (id,
metadata, an interface of ten typed inputs, a BigQuery-like `custom` with a
1.5 KB SQL text), a LiteralMap of the ten inputs, an output prefix and the
task_execution_metadata with labels and annotations.  Written as our REST
body (protojson with proto field names) in flyte3k.json (about 3 KB) and
flyte16k.json (the same with a Spark configuration and a long query, about
16 KB).  With STUBS_DIR (the modules tests/grpc/gen-stubs.sh generates) the
3 KB body is also parsed into Flyte's CreateTaskRequest, which checks its
shape against the IDL, and written as one length-prefixed gRPC message in
grpc_create.bin.
"""
import json
import os
import struct
import sys

TYPES = ["INTEGER", "FLOAT", "STRING", "BOOLEAN", "DATETIME",
         "INTEGER", "STRING", "FLOAT", "STRING", "BOOLEAN"]


def primitive(kind, i):
    if kind == "INTEGER":
        return {"integer": str(1000 + i)}
    if kind == "FLOAT":
        return {"float_value": 0.25 * i}
    if kind == "BOOLEAN":
        return {"boolean": i % 2 == 0}
    if kind == "DATETIME":
        return {"datetime": "2026-11-24T07:00:00Z"}
    return {"string_value": "value-%d" % i}


def sql(size):
    """A SELECT with joins and filters, repeated clauses up to size bytes."""
    head = ("SELECT o.order_id, o.customer_id, c.region, SUM(l.amount) AS "
            "total, COUNT(DISTINCT l.sku) AS skus\nFROM `proj.sales.orders` "
            "o\nJOIN `proj.sales.lines` l ON l.order_id = o.order_id\nJOIN "
            "`proj.crm.customers` c ON c.customer_id = o.customer_id\nWHERE "
            "o.ds = @ds AND c.region IN UNNEST(@regions)\n")
    out = head
    i = 0
    while len(out) < size - 80:
        out += ("  AND (l.sku NOT LIKE 'TEST-%%' OR l.qty > %d) "
                "-- guard %d\n" % (i, i))
        i += 1
    out += "GROUP BY 1, 2, 3\nORDER BY total DESC\nLIMIT 1000"
    return out[:size] if len(out) > size else out


def create(sql_size, spark=False):
    variables = {}
    literals = {}
    for i, kind in enumerate(TYPES):
        name = "input_%d" % i
        variables[name] = {"type": {"simple": kind}}
        literals[name] = {"scalar": {"primitive": primitive(kind, i)}}
    custom = {"Location": "EU", "ProjectID": "flyte-bench",
              "Domain": "development", "QueryTemplate": sql(sql_size)}
    if spark:
        conf = {}
        for i in range(60):
            conf["spark.bench.option.%02d" % i] = "value-%d-" % i + "x" * 40
        custom["sparkConf"] = conf
    template = {
        "id": {"resource_type": "TASK", "project": "flyte-bench",
               "domain": "development",
               "name": "analytics.daily_orders.query",
               "version": "7f3c9a2e41b0d5c8"},
        "type": "echo",
        "metadata": {"discoverable": True, "runtime": {
            "type": "FLYTE_SDK", "version": "1.10.7", "flavor": "python"},
            "timeout": "3600s", "retries": {"retries": 3}},
        "interface": {
            "inputs": {"variables": variables},
            "outputs": {"variables": {"results": {
                "type": {"structured_dataset_type": {"format": "parquet"}},
                "description": "the query's results"}}}},
        "custom": custom,
        "task_type_version": 0,
    }
    meta = {
        "task_execution_id": {
            "node_execution_id": {
                "node_id": "n0",
                "execution_id": {"project": "flyte-bench",
                                 "domain": "development",
                                 "name": "f8a1b2c3d4e5f6a7b8c9"}},
            "retry_attempt": 0},
        "namespace": "flyte-bench-development",
        "labels": {"team": "analytics", "owner": "data-eng",
                   "cost-center": "cc-4711", "env": "development"},
        "annotations": {
            "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
            "flyte.org/launch-plan": "daily_orders_lp",
            "flyte.org/scheduled-by": "propeller"},
        "k8s_service_account": "default",
    }
    return {"task_template": template, "inputs": {"literals": literals},
            "output_prefix": "s3://flyte-bench/metadata/propeller/"
                             "flyte-bench-development-f8a1b2c3d4e5f6a7b8c9/"
                             "n0/data/0",
            "task_execution_metadata": meta}


def main():
    out = sys.argv[1]
    bodies = {"flyte3k": create(1500), "flyte16k": create(9200, True)}
    for name, body in bodies.items():
        text = json.dumps(body, separators=(",", ":"))
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(text)
        sys.stderr.write("bodies: %s.json %d bytes\n" % (name, len(text)))
    if len(sys.argv) > 2:
        sys.path.insert(0, sys.argv[2])
        from google.protobuf import json_format
        from flyteidl.admin import agent_pb2
        msg = json_format.ParseDict(
            {"template": bodies["flyte3k"]["task_template"],
             "inputs": bodies["flyte3k"]["inputs"],
             "output_prefix": bodies["flyte3k"]["output_prefix"],
             "task_execution_metadata":
                 bodies["flyte3k"]["task_execution_metadata"]},
            agent_pb2.CreateTaskRequest())
        data = msg.SerializeToString()
        with open(os.path.join(out, "grpc_create.bin"), "wb") as f:
            f.write(struct.pack(">BI", 0, len(data)) + data)
        sys.stderr.write("bodies: grpc_create.bin %d bytes\n" % len(data))


if __name__ == "__main__":
    main()
