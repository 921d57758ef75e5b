#!/usr/bin/env python3
"""The external I/O benchmark: a load generator in its own process against five servers.

    scripts/bench_io_external.py [BUILD_DIR] [--rounds N] [--seconds S] [--quick] [--json FILE]

Servers (bench/io_external/): tpl (tpl::io, its pool of W workers, epoll by default; also with
TPL_IO_BACKEND=io_uring), Asio with its epoll reactor,
Asio with io_uring, and the two reference servers that stand for the limit: a raw epoll loop and a
raw completion-based io_uring loop. Workloads: 64 B echo, 4 KiB echo, HTTP/1.1 keep-alive; at 1,
100 and 1,000 connections; with 1 and 2 server workers. Rounds are interleaved (every row once per
round, servers in a different order each round) and each cell reports the median over rounds.

Per row: requests/s, p50 and p99 latency (the generator's), and the server's CPU time, system
calls and context switches per request. The counts come from `perf stat` (software counters and
the raw_syscalls:sys_enter tracepoint; no hardware PMU is needed) attached to the server process
and switched on and off through perf's control FIFO exactly around the generator's two marks, so
they divide by the requests of that window and nothing else. Each row also gives the server's CPU
per request as a ratio to the raw io_uring loop's and to Asio-with-io_uring's in the same round.
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SERVERS = [  # name, binary
    ("tpl", "io_tpl_server"),
    ("tpl_uring", "io_tpl_server_uring"),  # the same binary with TPL_IO_BACKEND=io_uring
    ("asio_epoll", "io_asio_epoll_server"),
    ("asio_uring", "io_asio_uring_server"),
    ("raw_epoll", "io_raw_epoll_server"),
    ("raw_uring", "io_raw_uring_server"),
]
WORKLOADS = [("echo64", "echo", 64), ("echo4k", "echo", 4096), ("http", "http", 0)]
CONNECTIONS = [1, 100, 1000]
WORKERS = [1, 2]
EVENTS = "raw_syscalls:sys_enter,context-switches,task-clock"


def wait_for_file(path, process, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as handle:
                return int(handle.read().strip())
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        time.sleep(0.02)
    raise RuntimeError("the server did not publish its port")


def parse_perf(text):
    counts = {}
    for line in text.splitlines():
        fields = line.split(",")
        if len(fields) < 3:
            continue
        value, event = fields[0], fields[2]
        try:
            counts[event] = float(value)
        except ValueError:
            counts[event] = 0.0  # <not counted>
    return counts


def measure(build, server_binary, mode, size, connections, workers, seconds, scratch, count_with_perf=True):
    """One cell: returns a dict of the row's numbers (without perf: the generator's only)."""
    port_file = os.path.join(scratch, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    environment = dict(os.environ)
    if server_binary == "io_tpl_server_uring":
        server_binary = "io_tpl_server"
        environment["TPL_IO_BACKEND"] = "io_uring"
    server = subprocess.Popen(
        [os.path.join(build, "bench", server_binary), "--mode", mode, "--workers", str(workers), "--port-file", port_file],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    generator = perf = None
    try:
        port = wait_for_file(port_file, server)
        arguments = [os.path.join(build, "bench", "io_load_generator"), "--port", str(port), "--connections",
                     str(connections), "--mode", mode]
        if size:
            arguments += ["--size", str(size)]
        generator = subprocess.Popen(arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        if generator.stdout.readline().strip() != "ready":
            raise RuntimeError("the load generator did not get ready")
        if not count_with_perf:
            generator.stdin.write("mark\n")
            first = generator.stdout.readline().split()
            time.sleep(seconds)
            generator.stdin.write("mark\n")
            second = generator.stdout.readline().split()
            generator.stdout.readline()  # latency
            if generator.wait(timeout=10) != 0:
                raise RuntimeError("the load generator failed (a wrong reply size?)")
            requests = int(second[1]) - int(first[1])
            if requests <= 0:
                raise RuntimeError("no request completed in the window")
            return {"requests": requests}
        control = os.path.join(scratch, "control")
        acknowledge = os.path.join(scratch, "ack")
        for fifo in (control, acknowledge):
            if os.path.exists(fifo):
                os.remove(fifo)
            os.mkfifo(fifo)
        perf_output = os.path.join(scratch, "perf.csv")
        perf = subprocess.Popen(["perf", "stat", "-x,", "-D", "-1", "--control", f"fifo:{control},{acknowledge}", "-e",
                                 EVENTS, "-p", str(server.pid), "-o", perf_output], stderr=subprocess.DEVNULL)
        control_handle = open(control, "w")
        acknowledge_handle = open(acknowledge, "r")

        def perf_command(word):
            control_handle.write(word + "\n")
            control_handle.flush()
            acknowledge_handle.readline()

        perf_command("enable")
        generator.stdin.write("mark\n")
        first = generator.stdout.readline().split()
        time.sleep(seconds)
        generator.stdin.write("mark\n")
        second = generator.stdout.readline().split()
        perf_command("disable")
        latency = generator.stdout.readline().split()
        control_handle.close()
        acknowledge_handle.close()
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=10)
        with open(perf_output) as handle:
            counts = parse_perf(handle.read())
        requests = int(second[1]) - int(first[1])
        elapsed = (int(second[2]) - int(first[2])) / 1e9
        if requests <= 0:
            raise RuntimeError("no request completed in the window")
        return {
            "requests": requests,
            "rps": requests / elapsed,
            "p50_us": float(latency[1]),
            "p99_us": float(latency[2]),
            "cpu_us_per_request": counts.get("task-clock", 0.0) * 1000.0 / requests,  # task-clock is in ms
            "syscalls_per_request": counts.get("raw_syscalls:sys_enter", 0.0) / requests,
            "switches_per_request": counts.get("context-switches", 0.0) / requests,
        }
    finally:
        for process in (generator, perf):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        server.kill()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", nargs="?", default="build/release")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--quick", action="store_true", help="64 B echo and HTTP at 100 connections, 1 worker, 1 round")
    parser.add_argument("--json", help="also write every measurement here")
    parser.add_argument("--smoke", action="store_true",
                        help="a test, not a measurement: every server answers every workload right (no perf)")
    arguments = parser.parse_args()
    if arguments.smoke:
        with tempfile.TemporaryDirectory() as scratch:
            for (name, binary) in SERVERS:
                for (label, mode, size) in WORKLOADS:
                    for workers in WORKERS:
                        cell = measure(arguments.build, binary, mode, size, 10, workers, 0.2, scratch, count_with_perf=False)
                        print(f"{name} {label} workers={workers}: {cell['requests']} requests answered right")
        return
    workloads, connection_counts, worker_counts = WORKLOADS, CONNECTIONS, WORKERS
    if arguments.quick:
        workloads = [WORKLOADS[0], WORKLOADS[2]]
        connection_counts, worker_counts, arguments.rounds = [100], [1], 1
    if subprocess.run(["perf", "stat", "-e", EVENTS, "true"], capture_output=True).returncode != 0:
        sys.exit("bench_io_external: perf stat cannot count " + EVENTS + " here")
    rows = [(w, c, n) for w in workloads for c in connection_counts for n in worker_counts]
    results = {}  # (workload, connections, workers, server) -> [measurement per round]
    generator = random.Random(30)
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(arguments.rounds):
            for (workload, connections, workers) in rows:
                order = SERVERS[:]
                generator.shuffle(order)
                for (name, binary) in order:
                    cell = measure(arguments.build, binary, workload[1], workload[2], connections, workers,
                                   arguments.seconds, scratch)
                    cell["round"] = round_index
                    results.setdefault((workload[0], connections, workers, name), []).append(cell)
                    print(f"round {round_index + 1}/{arguments.rounds} {workload[0]:7} c={connections:<5} w={workers} "
                          f"{name:11} {cell['rps']:9.0f} req/s  {cell['cpu_us_per_request']:6.2f} us  "
                          f"{cell['syscalls_per_request']:5.2f} sys  {cell['switches_per_request']:5.3f} cs",
                          file=sys.stderr, flush=True)

    def median(key, field):
        return statistics.median(cell[field] for cell in results[key])

    print("| workload | conns | workers | server | req/s | p50 µs | p99 µs | CPU µs/req | syscalls/req | "
          "switches/req | CPU vs raw io_uring | CPU vs Asio io_uring |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (workload, connections, workers) in rows:
        for (name, _) in SERVERS:
            key = (workload[0], connections, workers, name)
            cpu = median(key, "cpu_us_per_request")
            limit = median((workload[0], connections, workers, "raw_uring"), "cpu_us_per_request")
            asio = median((workload[0], connections, workers, "asio_uring"), "cpu_us_per_request")
            print(f"| {workload[0]} | {connections} | {workers} | {name} | {median(key, 'rps'):.0f} | "
                  f"{median(key, 'p50_us'):.0f} | {median(key, 'p99_us'):.0f} | {cpu:.2f} | "
                  f"{median(key, 'syscalls_per_request'):.2f} | {median(key, 'switches_per_request'):.3f} | "
                  f"{cpu / limit:.2f}× | {cpu / asio:.2f}× |")
    if arguments.json:
        with open(arguments.json, "w") as handle:
            json.dump({"|".join(map(str, key)): cells for key, cells in results.items()}, handle, indent=1)


if __name__ == "__main__":
    main()
