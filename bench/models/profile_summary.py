# Self time per operator of a chrome trace (bench_models --profile, or
# peer_detection.py --profile): each event's duration minus that of the events
# nested in it on the same thread. Usage: python3 profile_summary.py TRACE.json [TOP]
import collections
import json
import sys


def main(path, top):
    events = [e for e in json.load(open(path)) if isinstance(e, dict) and e.get("ph") == "X"]
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[e.get("tid")].append(e)
    self_time = collections.Counter()
    calls = collections.Counter()
    total = 0.0
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [end, event, child time]
        for e in evs:
            while stack and stack[-1][0] <= e["ts"]:
                end, ev, child = stack.pop()
                self_time[ev["name"]] += ev["dur"] - child
            if stack:
                stack[-1][2] += e["dur"]
            else:
                total += e["dur"]
            stack.append([e["ts"] + e["dur"], e, 0.0])
            calls[e["name"]] += 1
        while stack:
            end, ev, child = stack.pop()
            self_time[ev["name"]] += ev["dur"] - child
    print(f"{'operator':48s} {'self ms':>10s} {'share':>7s} {'calls':>7s}")
    for name, t in self_time.most_common(top):
        print(f"{name[:48]:48s} {t / 1000:10.1f} {t / total:7.1%} {calls[name]:7d}")
    print(f"{'total (top-level events)':48s} {total / 1000:10.1f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
